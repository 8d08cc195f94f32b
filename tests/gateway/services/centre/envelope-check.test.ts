import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUALITY_CODES } from '../../../../gateway/core/quality.js';
import { plainSnapshotEnvelope } from '../../../../gateway/services/centre/envelope-check.js';
import { envelopeSchema } from '../../../../gateway/uplink/envelope.js';

// Values at the edges of every field's rule, and of other types, so generated envelopes land on both
// sides of the schema (a generator of only valid envelopes could not catch a check that is too lax).
const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, Number.MAX_VALUE),
  // JSON.parse makes 1e999 Infinity: markers replaced after the round trip below.
  fc.constantFrom('__INF__', '__NINF__'),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', 'Good', 'good', 'Bad', 'realtime', 'heartbeat', 'alarm', '0', 'x'.repeat(18), '一'.repeat(18)),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
);
/** A valid value nine times in ten, anything else the tenth. */
const mostly = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: anyValue, weight: 1 });
/** Null (nothing changed) nine times in ten. */
const rarely = <T,>(change: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, { arbitrary: change, weight: 1 });
const itemArb = fc.record({
  pointCode: mostly(fc.string({ minLength: 1, maxLength: 8 })),
  value: mostly(fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.constant(null))),
  unit: mostly(fc.constantFrom('ppm', '%LEL', '')),
  quality: mostly(fc.constantFrom(...QUALITY_CODES)),
  time: mostly(fc.integer({ min: 0, max: 2 ** 45 })),
  alarmLevel: mostly(fc.constantFrom(0, 1, 2, 3, 4)),
});
/** An item, sometimes missing a field or carrying one more (an optional field of the schema, or a stranger). */
const itemVariant = fc.tuple(itemArb, rarely(fc.constantFrom('pointCode', 'value', 'unit', 'quality', 'time', 'alarmLevel')), rarely(fc.tuple(fc.constantFrom('alarmType', 'limit', 'comment', 'extra', '__proto__', 'constructor'), anyValue))).map(([item, drop, add]) => {
  const out: Record<string, unknown> = { ...item };
  if (drop !== null) delete out[drop];
  if (add !== null) Object.defineProperty(out, add[0], { value: add[1], enumerable: true, writable: true, configurable: true });
  return out;
});
const envelopeArb = fc
  .tuple(
    fc.record({
      dataId: mostly(fc.oneof(fc.constant(null).map(() => randomUUID()), fc.uuid())),
      seq: mostly(fc.integer({ min: 1, max: 2 ** 40 })),
      type: mostly(fc.constantFrom('realtime', 'heartbeat', 'alarm', 'basedata', 'summary')),
      enterpriseCode: mostly(fc.constant('91350100M000100Y4X')),
      gatewayCode: mostly(fc.constantFrom('gw-a', 'g')),
      timestamp: mostly(fc.integer({ min: 0, max: 2 ** 45 })),
      historical: mostly(fc.boolean()),
      items: mostly(fc.array(itemVariant, { maxLength: 4 })),
    }),
    rarely(fc.constantFrom('dataId', 'items', 'historical')),
    rarely(fc.tuple(fc.constantFrom('baseData', 'summary', 'extra', '__proto__'), anyValue)),
  )
  .map(([env, drop, add]) => {
    const out: Record<string, unknown> = { ...env };
    if (drop !== null) delete out[drop];
    if (add !== null) Object.defineProperty(out, add[0], { value: add[1], enumerable: true, writable: true, configurable: true });
    // Through JSON, as the intake receives it (no undefined, no NaN, no -0; ±Infinity from 1e999).
    return JSON.parse(JSON.stringify(out), (_k, v: unknown) => (v === '__INF__' ? Infinity : v === '__NINF__' ? -Infinity : v)) as unknown;
  });

describe('pre-compiled snapshot envelope check (property: equivalent to envelopeSchema where it answers)', () => {
  it('accepts only what envelopeSchema accepts, and returns what zod would (an equal value)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelopeArb, (json) => {
        const plain = plainSnapshotEnvelope(json);
        if (plain === undefined) return;
        accepted++;
        const z = envelopeSchema.safeParse(json);
        expect(z.success).toBe(true);
        expect(plain).toEqual(z.data);
      }),
      { numRuns: 20_000 },
    );
    // The generator reaches the fast path often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(200);
  });

  it('answers for a typical snapshot and heartbeat, and leaves other types and optional fields to zod', () => {
    const items = Array.from({ length: 200 }, (_, p) => ({ pointCode: `P${p}`, value: p / 10, unit: 'ppm', quality: 'Good', time: 1_700_000_000_000, alarmLevel: 0 }));
    const env = { dataId: randomUUID(), seq: 7, type: 'realtime', enterpriseCode: '91350100M000100Y4X', gatewayCode: 'gw-a', timestamp: 1_700_000_000_000, historical: false, items };
    expect(plainSnapshotEnvelope(env)).toBe(env);
    expect(plainSnapshotEnvelope({ ...env, type: 'heartbeat', items: [] })).toBeDefined();
    expect(plainSnapshotEnvelope({ ...env, type: 'alarm' })).toBeUndefined();
    expect(plainSnapshotEnvelope({ ...env, items: [{ ...items[0], limit: 5 }] })).toBeUndefined();
    expect(plainSnapshotEnvelope({ ...env, items: [{ ...items[0], value: 'DROP TABLE' }] })).toBeUndefined();
    expect(plainSnapshotEnvelope({ ...env, seq: 0 })).toBeUndefined();
  });
});
