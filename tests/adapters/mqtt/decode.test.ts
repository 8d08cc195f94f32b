import { describe, expect, it } from 'vitest';
import { emptyDecoded, MessageDecoder, resetDecoded } from '../../../adapters/mqtt/decode.js';
import { compileTemplate } from '../../../adapters/mqtt/topic-template.js';
import { mqttDeviceSchema } from '../../../adapters/mqtt/config.js';
import { device } from './helpers.js';

const NOW = 1_733_040_000_000;
const buf = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

describe('topic templates', () => {
  it('subscribe with wildcards and name the segments', () => {
    const t = compileTemplate('plant/{area}/{device}/#');
    expect(t.filter).toBe('plant/+/+/#');
    expect(t.match('plant/gas/co-1/up/x')).toEqual({ area: 'gas', device: 'co-1' });
    expect(t.match('plant/gas')).toBeUndefined();
    expect(compileTemplate('/sys/{pk}/{dn}/thing/event/property/post').match('/sys/a1/gh/thing/event/property/post')).toEqual({ pk: 'a1', dn: 'gh' });
    expect(() => compileTemplate('a/#/b')).toThrow(/last level/);
    expect(() => compileTemplate('a/x{y}')).toThrow(/mixes/);
  });
});

describe('simple form on gw/<id>/ingest/<device>', () => {
  const d = device({ id: 'co-sensor-1', points: [{ id: 'co_001', name: 'CO', range: { low: 0, high: 1000 } }, { id: 'door', name: '门', type: 'boolean' }] });
  const dec = new MessageDecoder(d, 'gw1');

  it('needs no mapping beyond the points', () => {
    expect(dec.subscriptions.map((s) => s.template.filter)).toEqual(['gw/gw1/ingest/co-sensor-1']);
    const r = dec.decode('gw/gw1/ingest/co-sensor-1', buf({ point: 'co_001', value: 171.3, ts: NOW - 1000 }), NOW);
    expect(r.readings).toEqual([{ point: 'co_001', value: 171.3, quality: 'Good', ts: NOW - 1000, receivedAt: NOW }]);
    expect(r.rejects).toEqual([]);
  });

  it('keeps the good items of a message with bad ones, naming each reason', () => {
    const r = dec.decode(
      'gw/gw1/ingest/co-sensor-1',
      buf([{ point: 'co_001', value: 12 }, { point: 'nope', value: 1 }, { point: 'co_001', value: 'abc' }, { point: 'co_001', value: 99999 }, { point: 'door', value: 1 }, 42]),
      NOW,
    );
    expect(r.readings.map((x) => [x.point, x.value])).toEqual([['co_001', 12], ['door', true]]);
    expect(r.rejects.map((x) => x.reason)).toEqual(['unknown_point', 'wrong_type', 'out_of_range', 'bad_shape']);
  });

  it('replaces a device time beyond the allowed skew by the receive time and counts it', () => {
    const r = dec.decode('gw/gw1/ingest/co-sensor-1', buf({ point: 'co_001', value: 1, ts: NOW - 3_600_000 }), NOW);
    expect(r.readings[0]!.ts).toBe(NOW);
    expect(r.skewed).toBe(1);
  });

  it('rejects what is not JSON, not UTF-8, too large or on a topic no template matches', () => {
    expect(dec.decode('gw/gw1/ingest/co-sensor-1', buf('{oops'), NOW).rejects[0]!.reason).toBe('not_json');
    expect(dec.decode('gw/gw1/ingest/co-sensor-1', Buffer.from([0xff, 0xfe, 0x00]), NOW).rejects[0]!.reason).toBe('not_utf8');
    expect(dec.decode('gw/gw1/ingest/co-sensor-1', Buffer.alloc(300 * 1024, 32), NOW).rejects[0]!.reason).toBe('too_large');
    expect(dec.decode('gw/gw1/ingest/other', buf({ point: 'co_001', value: 1 }), NOW).rejects[0]!.reason).toBe('no_template');
  });
});

describe('flat JSON, plain values and Alink', () => {
  it('picks fields by JSON pointer with scale, quality field and the topic segments', () => {
    const d = device({
      id: 'lora',
      subscriptions: [{ topic: 'plant/{area}/{sensor}/up', format: 'json', tsField: '/time' }],
      points: [
        { id: 'a.co', name: 'CO', field: '/data/co', qualityField: '/data/status', goodValues: [0], match: { sensor: 'gd-07' } },
        { id: 'a.o2', name: 'O2', field: '/data/o2', scale: { factor: 0.1 }, match: { sensor: 'gd-07' } },
        { id: 'b.co', name: 'CO', field: '/data/co', match: { sensor: 'gd-08' } },
      ],
    });
    const dec = new MessageDecoder(d, 'gw1');
    const r = dec.decode('plant/gas/gd-07/up', buf({ data: { co: '12.5', o2: 205, status: 3 }, time: new Date(NOW - 500).toISOString() }), NOW);
    expect(r.readings).toEqual([
      { point: 'a.co', value: 12.5, quality: 'BadSensorFailure', ts: NOW - 500, receivedAt: NOW },
      { point: 'a.o2', value: 20.5, quality: 'Good', ts: NOW - 500, receivedAt: NOW },
    ]);
    expect(dec.decode('plant/gas/gd-07/up', buf({ other: 1 }), NOW).rejects[0]!.reason).toBe('no_known_field');
    expect(dec.decode('plant/gas/gd-07/up', buf('[1,2]'), NOW).rejects[0]!.reason).toBe('no_known_field');
    expect(dec.decode('plant/gas/gd-07/up', buf('7'), NOW).rejects[0]!.reason).toBe('bad_shape');
  });

  it('reads a plain number or boolean per topic', () => {
    const d = device({
      id: 'dtu',
      subscriptions: [{ topic: 'dtu/3/{ch}', format: 'value' }],
      points: [{ id: 'dp', name: '压差', match: { ch: 'dp' } }, { id: 'run', name: '运行', type: 'boolean', match: { ch: 'run' } }],
    });
    const dec = new MessageDecoder(d, 'gw1');
    expect(dec.decode('dtu/3/dp', buf(' 812.5\n'), NOW).readings[0]!.value).toBe(812.5);
    expect(dec.decode('dtu/3/run', buf('1'), NOW).readings[0]!.value).toBe(true);
    expect(dec.decode('dtu/3/run', buf('false'), NOW).readings[0]!.value).toBe(false);
    expect(dec.decode('dtu/3/dp', buf('NaN'), NOW).rejects[0]!.reason).toBe('wrong_type');
    expect(dec.decode('dtu/3/xx', buf('1'), NOW).rejects[0]!.reason).toBe('unknown_point');
  });

  it('reads Alink thing.event.property.post with plain and {value,time} properties', () => {
    const d = device({
      id: 'alink',
      subscriptions: [{ topic: '/sys/{pk}/{dn}/thing/event/property/post', format: 'alink' }],
      points: [{ id: 'gh.co', name: 'CO', field: 'CO', match: { dn: 'gh-1' } }, { id: 'gh.t', name: 'T', field: 'Temp', match: { dn: 'gh-1' } }],
    });
    const dec = new MessageDecoder(d, 'gw1');
    const r = dec.decode(
      '/sys/a1B2/gh-1/thing/event/property/post',
      buf({ id: '123', version: '1.0', method: 'thing.event.property.post', params: { CO: { value: 23.5, time: NOW - 200 }, Temp: 31, Humidity: 50 } }),
      NOW,
    );
    expect(r.readings).toEqual([
      { point: 'gh.co', value: 23.5, quality: 'Good', ts: NOW - 200, receivedAt: NOW },
      { point: 'gh.t', value: 31, quality: 'Good', ts: NOW, receivedAt: NOW },
    ]);
    expect(r.rejects).toEqual([{ reason: 'unknown_point', detail: 'Alink property "Humidity" is not a point of device alink' }]);
    expect(dec.decode('/sys/a1B2/gh-1/thing/event/property/post', buf({ method: 'thing.service.x', params: {} }), NOW).rejects[0]!.reason).toBe('bad_shape');
  });

  it('refuses a config whose points name segments no template has', () => {
    const r = mqttDeviceSchema.safeParse({ type: 'mqtt', id: 'x', subscriptions: [{ topic: 'a/{b}', format: 'value' }], points: [{ id: 'p', name: 'p', match: { c: '1' } }] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('no subscription topic has a segment {c}');
  });
});

describe('AI video events', () => {
  const d = device({
    id: 'nvr',
    subscriptions: [{ topic: 'ai/{box}/event', format: 'ai-video' }],
    minConfidence: 0.7,
    points: [
      { id: 'cam3.no_helmet', name: '1#转炉平台 摄像头3 未戴安全帽', area: 'bof', type: 'boolean', field: '未戴安全帽', match: { camera: 'cam-03' } },
      { id: 'cam3.smoking', name: '1#转炉平台 摄像头3 吸烟', area: 'bof', type: 'boolean', field: '吸烟', match: { camera: 'cam-03' } },
    ],
  });
  const dec = new MessageDecoder(d, 'gw1');

  it('turns an event of a configured camera and type into a true event point held for the hold time', () => {
    const r = dec.decode('ai/box1/event', buf({ camera: 'cam-03', type: '未戴安全帽', confidence: 0.91, time: NOW - 100, snapshot: 'http://nvr/snap/1.jpg' }), NOW);
    expect(r.readings).toEqual([{ point: 'cam3.no_helmet', value: true, quality: 'Good', ts: NOW - 100, receivedAt: NOW, evidence: 'http://nvr/snap/1.jpg' }]);
    expect(r.holds).toEqual([{ point: 'cam3.no_helmet', holdMs: 60_000, snapshot: 'http://nvr/snap/1.jpg', camera: 'cam-03' }]);
  });

  it('keeps the event but not a snapshot that is not a plain http(s) URL', () => {
    const r = dec.decode('ai/box1/event', buf({ camera: 'cam-03', type: '吸烟', confidence: 0.9, snapshot: 'http://x/\u001b[31m\n报警 #99' }), NOW);
    expect(r.readings).toHaveLength(1);
    expect(r.readings[0]!.evidence).toBeUndefined();
    expect(r.rejects[0]!.reason).toBe('bad_shape');
  });

  it('counts events below the confidence threshold and of unknown cameras or types', () => {
    expect(dec.decode('ai/box1/event', buf({ camera: 'cam-03', type: '吸烟', confidence: 55 }), NOW).rejects[0]!.reason).toBe('low_confidence');
    expect(dec.decode('ai/box1/event', buf({ camera: 'cam-04', type: '吸烟', confidence: 0.9 }), NOW).rejects[0]!.reason).toBe('unknown_point');
    expect(dec.decode('ai/box1/event', buf({ camera: 'cam-03', type: '人员闯入', confidence: 0.9 }), NOW).rejects[0]!.reason).toBe('unknown_point');
    expect(dec.decode('ai/box1/event', buf({ camera: 'cam-03' }), NOW).rejects[0]!.reason).toBe('bad_shape');
  });
});

describe('a result reused message after message (the per-message path of the adapter)', () => {
  it('gives for every message exactly what a fresh decode gives, whatever the one before left in it', () => {
    const simple = new MessageDecoder(device({ id: 's1', points: [{ id: 'co', name: 'CO', range: { low: 0, high: 1000 } }, { id: 'door', name: '门', type: 'boolean' }] }), 'gw1');
    const video = new MessageDecoder(
      device({ id: 'nvr', subscriptions: [{ topic: 'ai/{box}/event', format: 'ai-video' }], points: [{ id: 'cam3.smoking', name: '吸烟', type: 'boolean', field: '吸烟', match: { camera: 'cam-03' } }] }),
      'gw1',
    );
    const messages: [MessageDecoder, string, Buffer][] = [
      [simple, 'gw/gw1/ingest/s1', buf([{ point: 'co', value: 12 }, { point: 'nope', value: 1 }, { point: 'door', value: 1 }])],
      [simple, 'gw/gw1/ingest/s1', buf({ point: 'co', value: 171.3, ts: NOW - 1000 })],
      [video, 'ai/b/event', buf({ camera: 'cam-03', type: '吸烟', confidence: 0.9, snapshot: 'http://nvr/1.jpg' })],
      [simple, 'gw/gw1/ingest/s1', buf({ point: 'co', value: 1, ts: NOW - 3_600_000 })],
      [simple, 'gw/gw1/ingest/s1', buf('{oops')],
      [video, 'ai/b/event', buf({ camera: 'cam-03', type: '吸烟', confidence: 0.1 })],
      [simple, 'gw/gw1/ingest/other', buf({ point: 'co', value: 1 })],
      [simple, 'gw/gw1/ingest/s1', buf({ point: 'co', value: 2 })],
    ];
    const reused = emptyDecoded();
    for (const [dec, topic, payload] of messages) {
      const fresh = dec.decode(topic, payload, NOW);
      const again = dec.decode(topic, payload, NOW, resetDecoded(reused));
      expect(again).toBe(reused);
      expect({ readings: again.readings, rejects: again.rejects, skewed: again.skewed, holds: again.holds, historical: again.historical }).toEqual({
        readings: fresh.readings,
        rejects: fresh.rejects,
        skewed: fresh.skewed,
        holds: fresh.holds,
        historical: fresh.historical,
      });
    }
  });

  it('a template without wildcards routes to the same answer every time, with no named segments', () => {
    const dec = new MessageDecoder(device({ id: 's1', points: [{ id: 'co', name: 'CO' }] }), 'gw1');
    const a = dec.route('gw/gw1/ingest/s1');
    expect(a).toBeDefined();
    expect(dec.route('gw/gw1/ingest/s1')).toBe(a);
    expect(a!.segments).toEqual({});
    expect(Object.isFrozen(a!.segments)).toBe(true);
    expect(dec.route('gw/gw1/ingest/s2')).toBeUndefined();
  });
});
