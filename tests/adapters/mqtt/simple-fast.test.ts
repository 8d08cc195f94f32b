import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSimpleFast } from '../../../adapters/mqtt/simple-fast.js';
import { MessageDecoder } from '../../../adapters/mqtt/decode.js';
import { mqttDeviceSchema } from '../../../adapters/mqtt/config.js';

/** What the general path reads: UTF-8 text (invalid is an error), then JSON.parse. */
function general(b: Buffer): { ok: true; doc: unknown } | { ok: false } {
  try {
    return { ok: true, doc: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The fast path may decline anything; what it does answer must be JSON.parse's answer exactly. */
function agrees(b: Buffer): void {
  const fast = readSimpleFast(b);
  if (fast === undefined) return;
  const g = general(b);
  expect(g.ok, b.toString('latin1')).toBe(true);
  if (!g.ok) return;
  // Same keys in the same order, numbers bit for bit (-0 included).
  expect(Object.keys(fast)).toEqual(Object.keys(g.doc as object));
  for (const k of Object.keys(fast)) expect(Object.is((fast as unknown as Record<string, unknown>)[k], (g.doc as Record<string, unknown>)[k]), `${k} of ${b.toString('latin1')}`).toBe(true);
}

const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(-0, 0, 1733040000000, 2 ** 53 + 1, 1e21, 5e-324, 171.3));
/** Number text as JSON allows and as it does not: leading zeros, bare dots, exponents, signs. */
const numberText = fc.oneof(
  number.map((n) => JSON.stringify(n)),
  fc.stringMatching(/^-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/),
  // Around where a double stops holding every integer (the scanner sums up to 15 digits itself).
  fc.stringMatching(/^-?[1-9][0-9]{13,19}$/),
  fc.stringMatching(/^[-+]?[0-9.eE+-]{0,8}$/),
  fc.constantFrom('01', '-', '1.', '.5', '1e', '1e+', '+1', '0x10', 'Infinity', 'NaN', '1_0', '', '-01', '00', '1.5e400', '-1e-400', '123456789012345678901234567890'),
);
const pointText = fc.oneof(
  fc.string({ minLength: 0, maxLength: 20 }).map((s) => JSON.stringify(s).slice(1, -1)),
  fc.stringMatching(/^[a-z0-9_.:-]{1,12}$/),
  fc.constantFrom('co_001', 'a\\"b', '\\u0041', 'é', '温度', 'x\ty', ''),
);

/** Near the canonical form: each part right or wrong, whitespace, other keys and orders. */
const nearCanonical = fc
  .record({
    point: pointText,
    value: fc.oneof(numberText, fc.constantFrom('true', 'null', '"1"', '[1]')),
    ts: fc.option(numberText, { nil: undefined }),
    space: fc.constantFrom('', ' ', '\n'),
    order: fc.constantFrom('canonical', 'tsFirst', 'valueFirst'),
    tail: fc.constantFrom('', ' ', ',"quality":"Good"', '}', ',', 'x'),
  })
  .map(({ point, value, ts, space, order, tail }) => {
    const p = `"point":${space}"${point}"`;
    const v = `"value":${value}`;
    const t = ts === undefined ? undefined : `"ts":${ts}`;
    const parts = order === 'canonical' ? [p, v, t] : order === 'tsFirst' ? [t, p, v] : [v, p, t];
    return Buffer.from(`{${parts.filter((x) => x !== undefined).join(',')}${tail}}`, 'utf8');
  });

describe('simple form read from the bytes = JSON.parse', () => {
  it('answers only as JSON.parse does, for text near the canonical form', () => {
    fc.assert(fc.property(nearCanonical, agrees), { numRuns: 20_000 });
  });

  it('answers only as JSON.parse does, for arbitrary bytes and arbitrary JSON', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (a) => agrees(Buffer.from(a))), { numRuns: 5_000 });
    fc.assert(fc.property(fc.json(), (j) => agrees(Buffer.from(j))), { numRuns: 5_000 });
    // Random bytes after the canonical opening, where the scanner does its work.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (a) => agrees(Buffer.concat([Buffer.from('{"point":"p1","value":'), Buffer.from(a)]))), { numRuns: 5_000 });
  });

  it('takes the canonical form, as sensors publish it, for every number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/), number, fc.option(fc.oneof(fc.integer({ min: 0 }), number), { nil: undefined }), (point, value, ts) => {
        const b = Buffer.from(JSON.stringify(ts === undefined ? { point, value } : { point, value, ts }));
        const fast = readSimpleFast(b);
        expect(fast, b.toString()).toBeDefined();
        agrees(b);
      }),
      { numRuns: 10_000 },
    );
  });

  it('gives the decoder the same readings and rejections as the general path', () => {
    const device = mqttDeviceSchema.parse({ id: 'd1', type: 'mqtt', points: [{ id: 'co_001', name: 'CO', unit: 'ppm', range: { low: 0, high: 1000 } }] });
    const decoder = new MessageDecoder(device, 'gw1');
    const topic = 'gw/gw1/ingest/d1';
    const cases = ['{"point":"co_001","value":171.3,"ts":1733040000000}', '{"point":"co_001","value":-0}', '{"point":"co_002","value":1}', '{"point":"co_001","value":1e400}', '{"point":"","value":1}', '{"point":"co_001","value":5000,"ts":1}'];
    for (const text of cases) {
      const withFast = decoder.decode(topic, Buffer.from(text), 1733040000500);
      // The same document with a space: JSON.parse's way.
      const general = decoder.decode(topic, Buffer.from(text.replace('{', '{ ')), 1733040000500);
      expect(withFast, text).toEqual(general);
    }
  });
});
