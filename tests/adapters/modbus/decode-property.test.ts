import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRegistersAt, decodeString, encodeRegisters, registerCount, type NumericDataType } from '../../../adapters/modbus/decode.js';
import { WORD_ORDERS, type ModbusPoint } from '../../../adapters/modbus/config.js';
import { BlockDecoder, decodePoint, decodeReading } from '../../../adapters/modbus/poller.js';

const NUMERIC: NumericDataType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'];
const RANGE: Partial<Record<NumericDataType, [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

// Whatever a device or a broken gateway in between answers, decoding yields a number or text and never throws.
describe('Modbus response decoding under arbitrary replies (property)', () => {
  it('decodes any register words in any type and word order to a number within the type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), fc.constantFrom(...WORD_ORDERS), fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 4, maxLength: 12 }), fc.nat(8), (type, order, words, off) => {
        const offset = Math.min(off, words.length - registerCount(type));
        const v = decodeRegistersAt(words, offset, type, order);
        expect(typeof v).toBe('number');
        const range = RANGE[type];
        if (range) {
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(range[0]);
          expect(v).toBeLessThanOrEqual(range[1]);
          // Up to 32 bits the decoding is exact: encoding the value gives the same registers back.
          expect(encodeRegisters(v, type, order)).toEqual(words.slice(offset, offset + registerCount(type)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on words outside 16 bits (negative, fractional, NaN) from a misbehaving stack', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), fc.constantFrom(...WORD_ORDERS), fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)), { minLength: 4, maxLength: 4 }), (type, order, words) => {
        expect(typeof decodeRegistersAt(words, 0, type, order)).toBe('number');
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes any words as text without NUL or trailing padding', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WORD_ORDERS), fc.array(fc.integer({ min: -70000, max: 70000 }), { maxLength: 64 }), (order, words) => {
        const s = decodeString(words, order);
        expect(s).not.toContain('\0');
        expect(s).toBe(s.trimEnd());
        expect(s.length).toBeLessThanOrEqual(words.length * 2);
      }),
      { numRuns: 2000 },
    );
  });

  it('the poll loop\'s decodeReading and BlockDecoder give exactly what decodePoint gives, for any point and reply', () => {
    const scale = fc.oneof(
      fc.constant(undefined),
      fc.record({ factor: fc.double({ min: -1000, max: 1000, noNaN: true }), offset: fc.double({ min: -1000, max: 1000, noNaN: true }) }),
      fc.record({ rawLow: fc.integer({ min: 0, max: 10000 }), rawHigh: fc.integer({ min: 10001, max: 40000 }), engLow: fc.integer({ min: -100, max: 0 }), engHigh: fc.integer({ min: 1, max: 1000 }), namur: fc.boolean() }),
    );
    const point = fc.record({
      table: fc.constantFrom('coil', 'discrete', 'holding', 'input'),
      dataType: fc.constantFrom(...NUMERIC),
      wordOrder: fc.constantFrom(...WORD_ORDERS),
      bit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
      address: fc.integer({ min: 100, max: 110 }),
      scale,
    });
    const reply = fc.array(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.boolean()), { minLength: 0, maxLength: 14 });
    fc.assert(
      fc.property(point, reply, ({ table, dataType, wordOrder, bit, address, scale: sc }, data) => {
        const bits = table === 'coil' || table === 'discrete';
        const p = { id: 'p', name: 'p', table, address, dataType: bits || bit !== undefined ? 'bool' : dataType, wordOrder, bit: bits ? undefined : bit, scale: sc } as unknown as ModbusPoint;
        const words = bits ? data.map(Boolean) : data.map(Number);
        const v = decodePoint(p, { start: 100 }, words);
        const expected = { point: 'p', value: v.value, quality: v.quality, ts: 1234, receivedAt: 1234, ...(v.reason ? { reason: v.reason } : {}) };
        expect(decodeReading(p, 100, words, 1234)).toEqual(expected);
        // The poll loop's per-block decoder (precomputed kinds, offsets and factors) as well.
        expect(new BlockDecoder([p], 100).decode(0, words, 1234)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
