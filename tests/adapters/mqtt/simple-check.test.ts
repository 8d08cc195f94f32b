import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simpleReadingSchema } from '../../../adapters/mqtt/decode.js';
import { isSimpleReading } from '../../../adapters/mqtt/simple-check.js';
import { QUALITY_CODES } from '../../../gateway/core/quality.js';

/**
 * The simple form's hand-written check must accept exactly what its zod schema accepts, and then
 * zod's output must be the input itself (the fast path uses the parsed JSON as is).
 */
function agrees(x: unknown): void {
  const z = simpleReadingSchema.safeParse(x);
  expect(isSimpleReading(x), JSON.stringify(x) ?? String(x)).toBe(z.success);
  if (z.success) expect(z.data).toEqual(x);
}

const around = (n: number) => fc.string({ minLength: Math.max(0, n - 3), maxLength: n + 3 });
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, 1733040000000));
const anything = fc.oneof(number, fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string({ maxLength: 5 }), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));

/** Objects near the simple form: each field right, wrong or missing, sometimes a key too many. */
const nearMiss = fc
  .record(
    {
      point: fc.oneof(around(1), around(200), anything),
      value: fc.oneof(number, fc.boolean(), fc.constant(null), around(64), anything),
      ts: fc.oneof(number, around(64), fc.constant(undefined), anything),
      quality: fc.oneof(fc.constantFrom(...QUALITY_CODES), fc.constantFrom('good', 'Bad', ''), anything),
      extra: anything,
    },
    { requiredKeys: [] },
  )
  .chain((r) =>
    fc.constantFrom('none', 'extra', 'toString', 'Point').map((key) => {
      const { extra, ...rest } = r;
      return key === 'none' || !('extra' in r) ? rest : { ...rest, [key === 'extra' ? 'unit' : key]: extra };
    }),
  );

describe('simple-form check = its zod schema', () => {
  it('agrees on objects near the simple form', () => {
    fc.assert(fc.property(nearMiss, agrees), { numRuns: 20_000 });
  });

  it('agrees on what JSON.parse makes of them (own __proto__ keys included)', () => {
    fc.assert(
      fc.property(nearMiss, fc.boolean(), (x, proto) => {
        const text = JSON.stringify(x);
        agrees(JSON.parse(proto ? text.replace(/^\{/, text === '{}' ? '{"__proto__":{}' : '{"__proto__":{},') : text));
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), agrees), { numRuns: 5_000 });
  });

  it('accepts the documented messages and refuses their near misses', () => {
    expect(isSimpleReading({ point: 'co_001', value: 171.3, ts: 1733040000000 })).toBe(true);
    expect(isSimpleReading({ point: 'co_001', value: null, quality: 'BadSensorFailure' })).toBe(true);
    expect(isSimpleReading({ point: 'co_001', value: '12.5', ts: '2026-12-01T08:00:00Z' })).toBe(true);
    expect(isSimpleReading({ point: 'co_001', value: 1, unit: 'ppm' })).toBe(false);
    expect(isSimpleReading({ point: '', value: 1 })).toBe(false);
    expect(isSimpleReading({ point: 'co_001' })).toBe(false);
    expect(isSimpleReading(JSON.parse('{"__proto__":{},"point":"co_001","value":1}'))).toBe(false);
    expect(isSimpleReading([{ point: 'co_001', value: 1 }])).toBe(false);
  });
});
