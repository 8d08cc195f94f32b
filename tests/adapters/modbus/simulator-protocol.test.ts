import { describe, expect, it } from 'vitest';
import { MbapRequestParser, RtuRequestParser, answerPdu, crc16, rtuFrame } from '../../../simulators/modbus/protocol.js';
import { ModbusSlave } from '../../../simulators/modbus/slave.js';

describe('simulator protocol', () => {
  it('computes the Modbus CRC of the specification example', () => {
    // Read 10 holding registers from slave 1: 01 03 00 00 00 0A, CRC C5 CD on the wire.
    const frame = rtuFrame(1, Buffer.from([0x03, 0x00, 0x00, 0x00, 0x0a]));
    expect([...frame]).toEqual([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xc5, 0xcd]);
    expect(crc16(frame)).toBe(0); // a frame including its CRC checks to zero
  });

  it('finds RTU frames in a stream split anywhere, skipping line noise', () => {
    const p = new RtuRequestParser();
    const f = rtuFrame(7, Buffer.from([0x04, 0x00, 0x10, 0x00, 0x02]));
    expect(p.push(Buffer.from([0xff, 0x00]))).toEqual([]);
    expect(p.push(f.subarray(0, 3))).toEqual([]);
    const got = p.push(Buffer.concat([f.subarray(3), f]));
    expect(got.map((r) => [r.unit, [...r.pdu]])).toEqual([[7, [4, 0, 0x10, 0, 2]], [7, [4, 0, 0x10, 0, 2]]]);
  });

  it('rejects a malformed MBAP header', () => {
    expect(new MbapRequestParser().push(Buffer.from([0, 1, 0, 9, 0, 6, 1, 3, 0, 0, 0, 1]))).toBe('bad');
  });

  it('answers reads, packs bits LSB first, and raises exceptions', () => {
    const s = new ModbusSlave();
    s.bank(1).write('holding', 2, 0x1234);
    s.bank(1).write('coil', 1, true);
    s.bank(1).write('coil', 8, true);
    expect([...answerPdu(Buffer.from([3, 0, 2, 0, 1]), 1, s)]).toEqual([3, 2, 0x12, 0x34]);
    expect([...answerPdu(Buffer.from([1, 0, 0, 0, 9]), 1, s)]).toEqual([1, 2, 0b10, 0b1]);
    expect([...answerPdu(Buffer.from([3, 0, 0, 0, 126]), 1, s)]).toEqual([0x83, 3]);
    expect([...answerPdu(Buffer.from([3, 0xff, 0xff, 0, 2]), 1, s)]).toEqual([0x83, 2]);
    expect([...answerPdu(Buffer.from([6, 0, 0, 0, 1]), 1, s)]).toEqual([0x86, 1]); // writes: illegal function
    s.exceptionAt('input', 5, 4);
    expect([...answerPdu(Buffer.from([4, 0, 0, 0, 10]), 1, s)]).toEqual([0x84, 4]);
  });
});
