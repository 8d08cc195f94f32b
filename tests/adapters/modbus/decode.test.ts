import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRegisters, decodeString, encodeRegisters, encodeString, orderBytes, registerBit } from '../../../adapters/modbus/decode.js';
import { WORD_ORDERS } from '../../../adapters/modbus/config.js';
import { applyScale, scaleValue, scaleSchema } from '../../../adapters/shared/scaling.js';

describe('register decoding', () => {
  // 0x41 0x20 0x00 0x00 is 10.0 as an IEEE-754 float32, written A B C D.
  const float10: Record<string, number[]> = {
    ABCD: [0x4120, 0x0000],
    CDAB: [0x0000, 0x4120],
    BADC: [0x2041, 0x0000],
    DCBA: [0x0000, 0x2041],
  };

  it.each(Object.entries(float10))('reads float32 10.0 sent as %s', (order, words) => {
    expect(decodeRegisters(words, 'float32', order as (typeof WORD_ORDERS)[number])).toBe(10);
  });

  it('reads 16-bit signed and unsigned values', () => {
    expect(decodeRegisters([0xffff], 'int16', 'ABCD')).toBe(-1);
    expect(decodeRegisters([0xffff], 'uint16', 'ABCD')).toBe(65535);
    expect(decodeRegisters([0x8000], 'int16', 'ABCD')).toBe(-32768);
    // A byte-swapping device sends 0x0100 for 1.
    expect(decodeRegisters([0x0100], 'uint16', 'BADC')).toBe(1);
  });

  it('reads 32-bit integers in every word order', () => {
    // 0x12345678 = 305419896
    expect(decodeRegisters([0x1234, 0x5678], 'uint32', 'ABCD')).toBe(0x12345678);
    expect(decodeRegisters([0x5678, 0x1234], 'uint32', 'CDAB')).toBe(0x12345678);
    expect(decodeRegisters([0x3412, 0x7856], 'uint32', 'BADC')).toBe(0x12345678);
    expect(decodeRegisters([0x7856, 0x3412], 'uint32', 'DCBA')).toBe(0x12345678);
    expect(decodeRegisters([0xffff, 0xfffe], 'int32', 'ABCD')).toBe(-2);
    expect(decodeRegisters([0xfffe, 0xffff], 'int32', 'CDAB')).toBe(-2);
  });

  it('reads 64-bit values in the four 64-bit orders', () => {
    // 0x0102030405060708 written ABCDEFGH, GHEFCDAB (word swap), BADCFEHG (byte swap), HGFEDCBA.
    const v = 0x0102030405060708n;
    expect(decodeRegisters([0x0102, 0x0304, 0x0506, 0x0708], 'uint64', 'ABCD')).toBe(Number(v));
    expect(decodeRegisters([0x0708, 0x0506, 0x0304, 0x0102], 'uint64', 'CDAB')).toBe(Number(v));
    expect(decodeRegisters([0x0201, 0x0403, 0x0605, 0x0807], 'uint64', 'BADC')).toBe(Number(v));
    expect(decodeRegisters([0x0807, 0x0605, 0x0403, 0x0201], 'uint64', 'DCBA')).toBe(Number(v));
    expect(decodeRegisters([0xffff, 0xffff, 0xffff, 0xfff6], 'int64', 'ABCD')).toBe(-10);
    // 1.5 as float64 is 0x3FF8000000000000.
    expect(decodeRegisters([0x3ff8, 0, 0, 0], 'float64', 'ABCD')).toBe(1.5);
    expect(decodeRegisters([0, 0, 0, 0x3ff8], 'float64', 'CDAB')).toBe(1.5);
    expect(decodeRegisters([0, 0, 0, 0xf83f], 'float64', 'DCBA')).toBe(1.5);
  });

  it('encodes what it decodes for every type and order', () => {
    for (const order of WORD_ORDERS) {
      fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), (v) => decodeRegisters(encodeRegisters(v, 'int16', order), 'int16', order) === v));
      fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => decodeRegisters(encodeRegisters(v, 'int32', order), 'int32', order) === v));
      fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => decodeRegisters(encodeRegisters(v, 'uint32', order), 'uint32', order) === v));
      fc.assert(fc.property(fc.float({ noNaN: true }), (v) => Object.is(decodeRegisters(encodeRegisters(v, 'float32', order), 'float32', order), v)));
      fc.assert(fc.property(fc.double({ noNaN: true }), (v) => Object.is(decodeRegisters(encodeRegisters(v, 'float64', order), 'float64', order), v)));
      fc.assert(fc.property(fc.maxSafeInteger(), (v) => decodeRegisters(encodeRegisters(v, 'int64', order), 'int64', order) === v));
      fc.assert(fc.property(fc.maxSafeNat(), (v) => decodeRegisters(encodeRegisters(v, 'uint64', order), 'uint64', order) === v));
    }
  });

  it('puts bytes in A B C D order', () => {
    expect([...orderBytes([0xcdcd, 0xabab], 'CDAB')]).toEqual([0xab, 0xab, 0xcd, 0xcd]);
  });

  it('reads a bit inside a status register', () => {
    expect(registerBit(0b0000_0000_0000_1000, 3)).toBe(true);
    expect(registerBit(0b0000_0000_0000_1000, 2)).toBe(false);
    expect(registerBit(0x8000, 15)).toBe(true);
  });

  it('reads text two characters per register, in either byte order, trimming padding', () => {
    expect(decodeString([0x4744, 0x2d36, 0x3030, 0x0000], 'ABCD')).toBe('GD-600');
    expect(decodeString([0x4447, 0x362d, 0x3030, 0x2020], 'BADC')).toBe('GD-600');
    expect(decodeString(encodeString('CO-1', 4, 'ABCD'), 'ABCD')).toBe('CO-1');
    expect(encodeString('ABC', 2, 'ABCD')).toEqual([0x4142, 0x4300]);
  });
});

describe('scaling', () => {
  const namur = scaleSchema.parse({ rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000, namur: true });

  it('maps a 4–20 mA count range linearly to engineering units', () => {
    const s = scaleSchema.parse({ rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000 });
    expect(applyScale(6400, s)).toBe(0);
    expect(applyScale(19200, s)).toBe(500);
    expect(applyScale(32000, s)).toBe(1000);
    const adc = scaleSchema.parse({ rawLow: 0, rawHigh: 4095, engLow: 0, engHigh: 100 });
    expect(applyScale(4095, adc)).toBe(100);
    expect(applyScale(2047.5, adc)).toBeCloseTo(50, 10);
  });

  it('applies factor and offset', () => {
    expect(applyScale(253, scaleSchema.parse({ factor: 0.1 }))).toBeCloseTo(25.3, 10);
    expect(applyScale(100, scaleSchema.parse({ factor: 0.5, offset: -40 }))).toBe(10);
  });

  it('rejects a raw range of zero width', () => {
    expect(scaleSchema.safeParse({ rawLow: 5, rawHigh: 5, engLow: 0, engHigh: 1 }).success).toBe(false);
  });

  it('judges the loop current by NAMUR NE 43', () => {
    const countsAt = (ma: number) => 6400 + ((ma - 4) * 25600) / 16;
    // A normal reading.
    expect(scaleValue(countsAt(12), namur)).toEqual({ value: 500, quality: 'Good' });
    // 3.8–4 mA and 20–20.5 mA are still measurements.
    expect(scaleValue(countsAt(3.9), namur).quality).toBe('Good');
    expect(scaleValue(countsAt(20.4), namur).quality).toBe('Good');
    // Between the measuring range and the failure limits: doubtful, value kept.
    const under = scaleValue(countsAt(3.7), namur);
    expect(under.quality).toBe('UncertainEngineeringUnitsExceeded');
    expect(under.value).toBeCloseTo(-18.75, 6);
    expect(scaleValue(countsAt(20.8), namur).quality).toBe('UncertainEngineeringUnitsExceeded');
    // ≤ 3.6 mA and ≥ 21 mA: the transmitter reports its own failure; no gas value may come out.
    for (const ma of [0, 3.6, 21, 22]) {
      const r = scaleValue(countsAt(ma), namur);
      expect(r.quality).toBe('BadSensorFailure');
      expect(r.value).toBeNull();
      expect(r.reason).toContain('NAMUR NE 43');
    }
  });

  it('leaves values outside the range alone when NAMUR is off', () => {
    const s = scaleSchema.parse({ rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000 });
    expect(scaleValue(0, s)).toEqual({ value: -250, quality: 'Good' });
  });
});
