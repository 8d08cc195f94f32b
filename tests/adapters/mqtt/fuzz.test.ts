import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageDecoder } from '../../../adapters/mqtt/decode.js';
import { SparkplugSession } from '../../../adapters/mqtt/sparkplug-session.js';
import { encodeSparkplug } from '../../../adapters/mqtt/sparkplug-codec.js';
import { AccessPolicy, type BrokerIdentity } from '../../../gateway/mqtt/access-policy.js';
import { aclAllows, aclAllowsSubscribe, parseAclFile } from '../../../gateway/mqtt/acl-file.js';
import { parsePasswordFile } from '../../../gateway/mqtt/password-file.js';
import { verifyPassword } from '../../../gateway/auth/password.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { EmbeddedBroker } from '../../../gateway/mqtt/broker.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { untrusted } from '../../../gateway/core/untrusted-text.js';
import { capturingLogger } from '../../gateway/mqtt/broker-harness.js';
import { device } from './helpers.js';

const NOW = 1_733_040_000_000;
const DEVICES = [
  device({ id: 's', points: [{ id: 'p1', name: 'p' }, { id: 'b1', name: 'b', type: 'boolean' }] }),
  device({ id: 'j', subscriptions: [{ topic: 't/{x}', format: 'json', tsField: '/ts' }], points: [{ id: 'p1', name: 'p', field: '/a/b', qualityField: '/q', range: { low: 0, high: 10 } }] }),
  device({ id: 'v', subscriptions: [{ topic: 't/{x}', format: 'value' }], points: [{ id: 'p1', name: 'p' }, { id: 'b1', name: 'b', type: 'boolean' }] }),
  device({ id: 'a', subscriptions: [{ topic: 't/{x}', format: 'alink' }], points: [{ id: 'p1', name: 'p', field: 'CO' }] }),
  device({ id: 'ai', subscriptions: [{ topic: 't/{x}', format: 'ai-video' }], points: [{ id: 'b1', name: 'b', type: 'boolean', field: '吸烟' }] }),
];
const SP = device({ id: 'sp', subscriptions: [{ topic: 'spBv1.0/#', format: 'sparkplug' }], points: [{ id: 'p1', name: 'p', field: 'Temp' }] });

/** Random JSON, plus shapes close to the real ones so the fuzzer reaches deep paths. */
const jsonish = fc.oneof(
  fc.json(),
  fc.record({ point: fc.oneof(fc.constant('p1'), fc.constant('b1'), fc.string()), value: fc.jsonValue(), ts: fc.oneof(fc.integer(), fc.string(), fc.double()) }).map((o) => JSON.stringify(o)),
  fc.record({ method: fc.constant('thing.event.property.post'), params: fc.dictionary(fc.oneof(fc.constant('CO'), fc.string()), fc.jsonValue()) }).map((o) => JSON.stringify(o)),
  fc.record({ a: fc.record({ b: fc.jsonValue() }), q: fc.jsonValue(), ts: fc.jsonValue() }).map((o) => JSON.stringify(o)),
  fc.record({ camera: fc.string(), type: fc.constantFrom('吸烟', '未戴安全帽'), confidence: fc.double(), snapshot: fc.string() }).map((o) => JSON.stringify(o)),
);
const payloads = fc.oneof(fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), jsonish.map((s) => Buffer.from(s)));

describe('fuzz: MQTT payload decoders', () => {
  it('never throw; every message yields readings or counted rejects, and readings are well-formed', () => {
    const decoders = DEVICES.map((d) => new MessageDecoder(d, 'gw1'));
    fc.assert(
      fc.property(payloads, fc.integer({ min: 0, max: DEVICES.length - 1 }), (payload, i) => {
        const dec = decoders[i]!;
        const topic = i === 0 ? 'gw/gw1/ingest/s' : 't/x';
        const r = dec.decode(topic, payload, NOW);
        expect(r.readings.length + r.rejects.length).toBeGreaterThan(0);
        for (const reading of r.readings) {
          expect(['p1', 'b1']).toContain(reading.point);
          expect(reading.value === null || typeof reading.value === 'boolean' || Number.isFinite(reading.value)).toBe(true);
          expect(Number.isFinite(reading.ts)).toBe(true);
          if (reading.evidence !== undefined) expect(reading.evidence).toMatch(/^https?:\/\/[\x21-\x7e]+$/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('Sparkplug session takes random bytes and random valid payloads in any order without throwing', () => {
    const metric = fc.record({ name: fc.option(fc.oneof(fc.constant('Temp'), fc.constant('bdSeq'), fc.string()), { nil: undefined }), alias: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), type: fc.constantFrom('Double' as const, 'Int64' as const, 'String' as const, 'Boolean' as const), value: fc.oneof(fc.double(), fc.string(), fc.boolean()) });
    const valid = fc.record({ seq: fc.integer({ min: 0, max: 255 }), metrics: fc.array(metric, { maxLength: 4 }) }).map((p) => {
      const metrics = p.metrics.map((m) => ({ ...m, value: m.type === 'Double' ? (typeof m.value === 'number' ? m.value : 1) : m.type === 'Int64' ? 5n : m.type === 'String' ? String(m.value) : Boolean(m.value) }));
      return Buffer.from(encodeSparkplug({ seq: p.seq, metrics }));
    });
    const messages = fc.array(fc.tuple(fc.constantFrom('NBIRTH', 'NDATA', 'DBIRTH/d', 'DDATA/d', 'NDEATH', 'DDEATH/d', 'STATE', 'X'), fc.oneof(valid, payloads)), { maxLength: 30 });
    fc.assert(
      fc.property(messages, (msgs) => {
        let now = NOW;
        const s = new SparkplugSession(SP, { now: () => now, rebirth: () => undefined });
        for (const [kind, payload] of msgs) {
          const [type, dev] = kind.split('/');
          s.handle(`spBv1.0/g/${type}/e${dev ? `/${dev}` : ''}`, payload, now);
          now += 700;
          s.tick(now);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: broker auth hooks and files', () => {
  it('acl and password file parsers refuse or accept any text without throwing anything but a named Error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const parse of [() => parseAclFile(text, 'acl'), () => parsePasswordFile(text, 'passwd')]) {
          try {
            parse();
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
            expect((err as Error).message).toMatch(/^(acl|passwd):\d+: /);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('access decisions are total over random identities, client ids and topics; $SYS and gw/<id>/ stay closed', () => {
    const acl = parseAclFile('user u\ntopic read a/#\ntopic deny a/b/#\npattern write d/%u/%c\n', 'acl');
    const policy = new AccessPolicy('gw1', acl);
    const level = fc.oneof(fc.constantFrom('a', 'b', 'gw', 'gw1', 'ingest', '+', '#', '$SYS', '', 'u', 'd', '%u'), fc.string({ maxLength: 5 }));
    const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((l) => l.join('/'));
    const identity: fc.Arbitrary<BrokerIdentity> = fc.oneof(
      fc.constant({ kind: 'anonymous' as const }),
      fc.record({ kind: fc.constant('user' as const), name: fc.oneof(fc.constant('u'), fc.string({ maxLength: 8 })), role: fc.constantFrom(undefined, 'viewer' as const, 'device' as const, 'operator' as const, 'admin' as const), areas: fc.constant(['*']) }),
    );
    fc.assert(
      fc.property(identity, fc.string({ maxLength: 10 }), topic, (id, clientId, t) => {
        const pub = policy.publish(id, clientId, t);
        const sub = policy.subscribe(id, clientId, t);
        const read = policy.read(id, clientId, t);
        aclAllows(acl, { username: id.kind === 'user' ? id.name : undefined, clientId }, t, 'read');
        aclAllowsSubscribe(acl, { username: id.kind === 'user' ? id.name : undefined, clientId }, t);
        if (t.startsWith('$')) expect(pub.ok).toBe(false);
        if (t.startsWith('gw/gw1/') && !t.startsWith('gw/gw1/ingest/')) expect(pub.ok).toBe(false);
        if (t.startsWith('$SYS') && !(id.kind === 'user' && id.role === 'admin')) expect(sub.ok || read).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('login takes any user name, password bytes and client id, and counts every refusal', async () => {
    const users = new UserStore(openDatabase(':memory:'), { hashParams: { ln: 10, r: 8, p: 1 } });
    await users.add({ name: 'u1', password: 'a long password', role: 'viewer' });
    const metrics = new Metrics();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'gw1', allowAnonymous: false, log: capturingLogger().log, metrics, users, limits: { maxLoginFailures: 1_000_000 } });
    const login = (broker as unknown as { login: (c: unknown, u: string | undefined, p: Buffer | undefined) => Promise<BrokerIdentity | { refused: string }> }).login.bind(broker);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.option(fc.string({ maxLength: 80 }), { nil: undefined }), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }), fc.string({ maxLength: 30 }), async (u, p, id) => {
        const r = await login({ id, conn: { remoteAddress: '127.0.0.9' } }, u, p ? Buffer.from(p) : undefined);
        if ('refused' in r) refused++;
        else expect(r).toMatchObject({ kind: 'user', name: 'u1' });
      }),
      { numRuns: 150 },
    );
    expect(refused).toBeGreaterThan(100);
    expect(await verifyPassword('x', '$scrypt$ln=10,r=8,p=1$%%%$%%%')).toBe(false);
  }, 60_000);

  it('escapes every control character of outside text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = untrusted(s, 500);
        // eslint-disable-next-line no-control-regex -- matching control characters is the point: the assertion is that no raw control character survives escaping
        expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
      }),
      { numRuns: 2000 },
    );
  });
});
