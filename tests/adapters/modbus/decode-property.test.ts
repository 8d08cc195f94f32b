import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRegistersAt, decodeString, encodeRegisters, registerCount, type NumericDataType } from '../../../adapters/modbus/decode.js';
import { WORD_ORDERS } from '../../../adapters/modbus/config.js';

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
});
