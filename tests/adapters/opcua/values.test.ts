import { describe, expect, it } from 'vitest';
import { toReading, type DataValueLike } from '../../../adapters/opcua/values.js';
import { readingSchema } from '../../../gateway/core/reading.js';

const SRC = new Date('2026-11-23T08:00:00.000Z');
const RX = SRC.getTime() + 120;

function dv(value: unknown, dataType: number, status = { value: 0, name: 'Good' }, sourceTimestamp: Date | null = SRC): DataValueLike {
  return { value: { value, dataType }, statusCode: status, sourceTimestamp, serverTimestamp: new Date(SRC.getTime() + 5) };
}

describe('DataValue → Reading', () => {
  it('keeps a numeric value, Good quality and the source timestamp', () => {
    const r = toReading(dv(231.4, 11), { point: 'bf1.top_pressure' }, RX);
    expect(r).toEqual({ point: 'bf1.top_pressure', value: 231.4, quality: 'Good', ts: SRC.getTime(), receivedAt: RX });
    expect(readingSchema.parse(r)).toEqual(r);
  });

  it('uses the server timestamp, then receive time, when the source gives none', () => {
    expect(toReading({ ...dv(1, 11), sourceTimestamp: null }, { point: 'p' }, RX).ts).toBe(SRC.getTime() + 5);
    expect(toReading({ ...dv(1, 11), sourceTimestamp: null, serverTimestamp: null }, { point: 'p' }, RX).ts).toBe(RX);
  });

  it('booleans stay booleans', () => {
    expect(toReading(dv(true, 1), { point: 'cv1.lance_autolift_armed' }, RX).value).toBe(true);
  });

  it('integer types, including 64-bit [high, low] words', () => {
    expect(toReading(dv(-12, 4), { point: 'p' }, RX).value).toBe(-12);
    expect(toReading(dv([0, 5_000_000], 9), { point: 'p' }, RX).value).toBe(5_000_000);
    expect(toReading(dv([0xffffffff, 0xfffffffe], 8), { point: 'p' }, RX).value).toBe(-2);
  });

  it('picks an array element, whether the server honoured the index range or sent the whole array', () => {
    const whole = Float64Array.from([60, 61, 62, 63]);
    expect(toReading(dv(whole, 11), { point: 'p', arrayIndex: 2 }, RX).value).toBe(62);
    expect(toReading(dv(Float64Array.from([63]), 11), { point: 'p', arrayIndex: 3, indexRangeSent: true }, RX).value).toBe(63);
    const missing = toReading(dv(Float64Array.from([60, 61]), 11), { point: 'p', arrayIndex: 5 }, RX);
    expect(missing).toMatchObject({ value: null, quality: 'BadOutOfRange' });
  });

  it('an array without arrayIndex, or a scalar with one, is a configuration error, not a value', () => {
    expect(toReading(dv(Float64Array.from([1, 2]), 11), { point: 'p' }, RX)).toMatchObject({ value: null, quality: 'BadConfigurationError' });
    expect(toReading(dv(5, 11), { point: 'p', arrayIndex: 0 }, RX)).toMatchObject({ value: null, quality: 'BadConfigurationError' });
  });

  it('text values are rejected with a reason', () => {
    const r = toReading(dv('RUN', 12), { point: 'p' }, RX);
    expect(r.quality).toBe('BadConfigurationError');
    expect(r.value).toBeNull();
    expect(r.reason).toMatch(/数据类型 12/);
  });

  it('Bad status never carries a value, and keeps the OPC UA name', () => {
    const r = toReading(dv(231.4, 11, { value: 0x808c0000, name: 'BadSensorFailure' }), { point: 'p' }, RX);
    expect(r).toEqual({ point: 'p', value: null, quality: 'BadSensorFailure', ts: SRC.getTime(), receivedAt: RX, reason: 'BadSensorFailure (0x808C0000)' });
  });

  it('Uncertain status keeps the value and says why', () => {
    const r = toReading(dv(231.4, 11, { value: 0x40900000, name: 'UncertainLastUsableValue' }), { point: 'p' }, RX);
    expect(r).toMatchObject({ value: 231.4, quality: 'UncertainLastUsableValue', reason: 'UncertainLastUsableValue (0x40900000)' });
  });

  it('NaN and infinities are not passed on as numbers', () => {
    expect(toReading(dv(NaN, 11), { point: 'p' }, RX)).toMatchObject({ value: null, quality: 'BadOutOfRange' });
    expect(toReading(dv(Infinity, 10), { point: 'p' }, RX)).toMatchObject({ value: null, quality: 'BadOutOfRange' });
  });

  it('applies scaling (raw counts → engineering units), with NAMUR NE 43 failure detection', () => {
    expect(toReading(dv(16000, 6), { point: 'p', scale: { rawLow: 0, rawHigh: 32000, engLow: 0, engHigh: 400, namur: false } }, RX).value).toBe(200);
    const namur = { rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000, namur: true };
    expect(toReading(dv(19200, 6), { point: 'p', scale: namur }, RX)).toMatchObject({ value: 500, quality: 'Good' });
    // 3.0 mA: the transmitter reports its own failure.
    expect(toReading(dv(4800, 6), { point: 'p', scale: namur }, RX)).toMatchObject({ value: null, quality: 'BadSensorFailure' });
  });

  it('an empty variant is Bad', () => {
    expect(toReading({ ...dv(null, 0) }, { point: 'p' }, RX)).toMatchObject({ value: null, quality: 'Bad' });
  });
});
