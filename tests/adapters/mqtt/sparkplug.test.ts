import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSparkplug, encodeSparkplug, SPARKPLUG_TYPES, type SparkplugType, type SparkplugValue } from '../../../adapters/mqtt/sparkplug-codec.js';
import { SparkplugSession } from '../../../adapters/mqtt/sparkplug-session.js';
import { device } from './helpers.js';

const VALUE: Record<SparkplugType, fc.Arbitrary<SparkplugValue>> = {
  Int8: fc.integer({ min: -128, max: 127 }),
  Int16: fc.integer({ min: -32768, max: 32767 }),
  Int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  // 64-bit values beyond 2^53 are exactly where the package's own decoding goes wrong.
  Int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  UInt8: fc.integer({ min: 0, max: 255 }),
  UInt16: fc.integer({ min: 0, max: 65535 }),
  UInt32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  UInt64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  Float: fc.float({ noNaN: true }).map((f) => Math.fround(f)),
  Double: fc.double({ noNaN: true }),
  Boolean: fc.boolean(),
  String: fc.string(),
  DateTime: fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  Text: fc.string(),
  UUID: fc.uuid(),
  Bytes: fc.uint8Array({ maxLength: 64 }),
};

describe('Sparkplug B codec', () => {
  for (const type of SPARKPLUG_TYPES) {
    it(`round-trips every ${type} value, with alias, timestamp, seq and null`, () => {
      fc.assert(
        fc.property(VALUE[type], fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(), (value, seq, alias, isNull) => {
          const v = isNull ? null : value;
          const decoded = decodeSparkplug(encodeSparkplug({ timestamp: 1_733_040_000_000, seq, metrics: [{ name: 'm', alias, timestamp: 1_733_040_000_001, type, value: v }] }));
          expect(decoded.seq).toBe(seq);
          expect(decoded.timestamp).toBe(1_733_040_000_000);
          const m = decoded.metrics[0]!;
          expect(m).toMatchObject({ name: 'm', alias, timestamp: 1_733_040_000_001, type });
          if (v instanceof Uint8Array) expect(Buffer.from(m.value as Uint8Array).equals(Buffer.from(v))).toBe(true);
          else expect(m.value).toEqual(v);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('keeps UInt64 2^64-1 and Int64 -2^63 exact (beyond 2^53)', () => {
    const d = decodeSparkplug(encodeSparkplug({ metrics: [{ name: 'u', type: 'UInt64', value: 2n ** 64n - 1n }, { name: 'i', type: 'Int64', value: -(2n ** 63n) }, { name: 'u32', type: 'UInt32', value: 2 ** 32 - 1 }] }));
    expect(d.metrics.map((m) => m.value)).toEqual([2n ** 64n - 1n, -(2n ** 63n), 2 ** 32 - 1]);
  });
});

describe('Sparkplug B session', () => {
  const dev = device({
    id: 'sp',
    subscriptions: [{ topic: 'spBv1.0/plant1/+/edge1/#', format: 'sparkplug' }],
    reorderTimeout: 2000,
    points: [
      { id: 'node.temp', name: '温度', field: 'Temp' },
      { id: 'plc.co', name: 'CO', field: 'Gas/CO', match: { device: 'plc1' } },
    ],
  });
  const sp = (type: string, dev?: string) => `spBv1.0/plant1/${type}/edge1${dev ? `/${dev}` : ''}`;
  const enc = (p: Parameters<typeof encodeSparkplug>[0]) => Buffer.from(encodeSparkplug(p));

  function session() {
    let now = 1_733_040_000_000;
    const rebirths: { topic: string; payload: Buffer }[] = [];
    const s = new SparkplugSession(dev, { now: () => now, rebirth: (topic, payload) => rebirths.push({ topic, payload }) });
    return { s, rebirths, advance: (ms: number) => (now += ms), now: () => now };
  }

  it('maps births, aliased data and deaths to readings; historical metrics stay off the live bus', () => {
    const { s, now } = session();
    let r = s.handle(sp('NBIRTH'), enc({ seq: 0, timestamp: now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3n }, { name: 'Temp', alias: 1, type: 'Double', value: 21.5 }] }), now());
    expect(r.readings.map((x) => [x.point, x.value])).toEqual([['node.temp', 21.5]]);
    r = s.handle(sp('DBIRTH', 'plc1'), enc({ seq: 1, timestamp: now(), metrics: [{ name: 'Gas/CO', alias: 2, type: 'Float', value: 10 }] }), now());
    expect(r.readings.map((x) => [x.point, x.value])).toEqual([['plc.co', 10]]);
    r = s.handle(sp('DDATA', 'plc1'), enc({ seq: 2, timestamp: now(), metrics: [{ alias: 2, type: 'Float', value: 170 }, { alias: 2, type: 'Float', value: 999, isHistorical: true }, { alias: 9, type: 'Float', value: 1 }] }), now());
    expect(r.readings.map((x) => [x.point, x.value])).toEqual([['plc.co', 170]]);
    expect(r.historical).toEqual([expect.objectContaining({ value: 999 })]);
    expect(r.rejects.map((x) => x.reason)).toEqual(['sparkplug_unknown_alias']);
    // A stale NDEATH (older bdSeq) does not kill the session; the right one does.
    expect(s.handle(sp('NDEATH'), enc({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 2n }] }), now()).readings).toEqual([]);
    r = s.handle(sp('NDEATH'), enc({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3n }] }), now());
    expect(r.readings.map((x) => [x.point, x.quality])).toEqual([['node.temp', 'BadNotConnected'], ['plc.co', 'BadNotConnected']]);
  });

  it('asks for a rebirth when a seq gap is not filled within the reorder timeout, and not when it is', () => {
    const { s, rebirths, advance, now } = session();
    s.handle(sp('NBIRTH'), enc({ seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0n }, { name: 'Temp', alias: 1, type: 'Double', value: 1 }] }), now());
    s.handle(sp('NDATA'), enc({ seq: 2, metrics: [{ alias: 1, type: 'Double', value: 2 }] }), now()); // 1 is missing
    advance(500);
    s.handle(sp('NDATA'), enc({ seq: 1, metrics: [{ alias: 1, type: 'Double', value: 3 }] }), now()); // late, within the timeout
    advance(3000);
    s.tick(now());
    expect(rebirths).toEqual([]);
    s.handle(sp('NDATA'), enc({ seq: 5, metrics: [{ alias: 1, type: 'Double', value: 4 }] }), now()); // 3 and 4 lost
    advance(2500);
    s.tick(now());
    expect(rebirths.map((x) => x.topic)).toEqual(['spBv1.0/plant1/NCMD/edge1']);
    expect(decodeSparkplug(rebirths[0]!.payload).metrics[0]).toMatchObject({ name: 'Node Control/Rebirth', value: true });
    // Data until the rebirth arrives is refused, then the new birth is taken.
    expect(s.handle(sp('NDATA'), enc({ seq: 6, metrics: [{ alias: 1, type: 'Double', value: 5 }] }), now()).rejects[0]!.reason).toBe('sparkplug_sequence');
    expect(s.handle(sp('NBIRTH'), enc({ seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 1n }, { name: 'Temp', alias: 1, type: 'Double', value: 6 }] }), now()).readings[0]!.value).toBe(6);
  });

  it('asks a node it has not seen born for a rebirth (a host that started after the node)', () => {
    const { s, rebirths, now } = session();
    const r = s.handle(sp('NDATA'), enc({ seq: 17, metrics: [{ alias: 1, type: 'Double', value: 2 }] }), now());
    expect(r.rejects[0]!.reason).toBe('sparkplug_sequence');
    expect(rebirths).toHaveLength(1);
  });
});
