import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { sm4CbcEncrypt, sm4KeyBytes } from '../../../gateway/uplink/sm4.js';
import { memHttpSm4Profile, memHttpSm4ProfileSchema } from '../../../gateway/uplink/profiles/mem-http-sm4.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { outgoing, type Envelope } from '../../../gateway/uplink/envelope.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';

const KEY = '0123456789abcdeffedcba9876543210';
const IV = 'fedcba98765432100123456789abcdef';
const creds = { appid: 'plant-7', appsecret: 'p@ss', key: KEY, iv: IV };

function envelope(seq: number): Envelope {
  return {
    dataId: randomUUID(),
    seq,
    type: 'realtime',
    enterpriseCode: '91350100M000100Y43',
    gatewayCode: 'gw-1',
    timestamp: 1_700_000_000_000,
    historical: false,
    items: [{ pointCode: 'CO-1004-01', value: 12.5, unit: 'ppm', quality: 'Good', time: 1_700_000_000_000, alarmLevel: 0 }],
  };
}

async function post(url: string, body: unknown, appsecret = creds.appsecret): Promise<{ status: number; json: { code: unknown; msg: unknown } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', appsecret }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { code: unknown; msg: unknown } };
}

const encrypt = (payload: unknown, key = KEY): string => sm4CbcEncrypt(JSON.stringify(payload), sm4KeyBytes(key), sm4KeyBytes(IV)).toString('hex');

describe('platform simulator, MEM HTTP + SM4', () => {
  let sim: PlatformSimulator;
  beforeEach(async () => {
    sim = new PlatformSimulator({ http: creds });
    await sim.start();
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('decrypts and records what the gateway profile sends, and answers code 0', async () => {
    const transport = memHttpSm4Profile.create(memHttpSm4ProfileSchema.parse({ profile: 'mem-http-sm4', url: sim.url, ...creds }), { logger: silentLogger, metrics: new Metrics(), enterpriseCode: '91350100M000100Y43', gatewayCode: 'gw-1' });
    const e = envelope(1);
    await transport.send(outgoing(e));
    expect(sim.arrivals.map((a) => a.envelope)).toEqual([e]);
    expect(sim.arrivals[0]!.profile).toBe('mem-http-sm4');
  });

  it('refuses a wrong appsecret or appid, an undecryptable payload and an invalid envelope, and records why', async () => {
    expect((await post(sim.url, { appid: creds.appid, data: encrypt(envelope(1)) }, 'wrong')).status).toBe(401);
    expect((await post(sim.url, { appid: 'other', data: encrypt(envelope(1)) })).status).toBe(401);
    const wrongKey = await post(sim.url, { appid: creds.appid, data: encrypt(envelope(1), '00112233445566778899aabbccddeeff') });
    expect(wrongKey.json.code).toBe(4001);
    const { seq: _omit, ...noSeq } = envelope(2);
    const invalid = await post(sim.url, { appid: creds.appid, data: encrypt(noSeq) });
    expect(invalid.json.code).toBe(4002);
    expect(String(invalid.json.msg)).toContain('seq');
    expect(sim.arrivals).toHaveLength(0);
    expect(sim.rejections.map((r) => r.reason)).toEqual([expect.stringContaining('appsecret'), expect.stringContaining('appid'), expect.stringContaining('SM4'), expect.stringContaining('seq')]);
  });

  it('fails on request: HTTP 500, business rejection, refused connections, slow answers', async () => {
    const body = (seq: number): unknown => ({ appid: creds.appid, data: encrypt(envelope(seq)) });
    await sim.setMode('http500');
    expect((await post(sim.url, body(1))).status).toBe(500);
    await sim.setMode('reject');
    expect((await post(sim.url, body(2))).json.code).toBe(5000);
    await sim.setMode('refuse');
    await expect(fetch(sim.url, { method: 'POST' })).rejects.toThrow();
    await sim.setMode('slow', 300);
    const t0 = Date.now();
    expect((await post(sim.url, body(3))).json.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await sim.setMode('ok');
    expect((await post(sim.url, body(4))).json.code).toBe(0);
    expect(sim.arrivals.map((a) => a.envelope.seq)).toEqual([3, 4]);
  });

  it('keeps a repeated dataId once and counts the repeat', async () => {
    const e = envelope(9);
    await post(sim.url, { appid: creds.appid, data: encrypt(e) });
    await post(sim.url, { appid: creds.appid, data: encrypt(e) });
    expect(sim.arrivals).toHaveLength(1);
    expect(sim.duplicates).toHaveLength(1);
    expect(sim.dataIdCounts().get(e.dataId)).toBe(2);
  });
});

describe('platform simulator, MQTT (real mosquitto)', () => {
  let broker: MosquittoServer;
  beforeAll(async () => {
    broker = await MosquittoServer.start();
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('records valid envelopes from the broker and rejects malformed ones with the topic', async () => {
    const sim = new PlatformSimulator({ mqtt: { url: broker.url, clientId: 'sim-under-test' } });
    await sim.start();
    const client = await mqtt.connectAsync(broker.url);
    try {
      await client.publishAsync('safety/91350100M000100Y43/gw-1/realtime', JSON.stringify(envelope(1)), { qos: 1 });
      await client.publishAsync('safety/91350100M000100Y43/gw-1/realtime', '{"seq": "x"}', { qos: 1 });
      const deadline = Date.now() + 5000;
      while (sim.arrivals.length + sim.rejections.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sim.arrivals.map((a) => a.envelope.seq)).toEqual([1]);
      expect(sim.rejections).toEqual([expect.objectContaining({ profile: 'mqtt', reason: expect.stringContaining('safety/91350100M000100Y43/gw-1/realtime') })]);
    } finally {
      await client.endAsync();
      await sim.stop();
    }
  });
});

describe('platform simulator, base data registration', () => {
  it('refuses base data with an unknown equipment type, a CO detector without location, limits out of order or a wrong fingerprint', async () => {
    const { baseDataFingerprint } = await import('../../../gateway/uplink/base-data.js');
    const sim = new PlatformSimulator({ http: creds, requireRegistration: ['mem-http-sm4'] });
    await sim.start();
    try {
      const doc = (equipmentType: string, target: Record<string, unknown>) => {
        const body = {
          enterprise: { code: '91350100M000100Y43', name: '某钢铁公司' },
          gateway: { code: 'gw-1' },
          equipment: [{ code: 'E1', name: '设备', type: equipmentType, typeName: 'x' }],
          targets: [{ code: 'CO-1004-01', name: '操作室一氧化碳', unit: 'ppm', equipmentCode: 'E1', limits: { H: 24, HH: 160 }, ...target }],
        };
        return { ...body, fingerprint: baseDataFingerprint(body) };
      };
      const send = (seq: number, baseData: unknown) => post(sim.url, { appid: creds.appid, data: encrypt({ ...envelope(seq), type: 'basedata', items: [], baseData }) });
      expect(String((await send(1, doc('05', {}))).json.msg)).toContain('unknown type code 05');
      expect(String((await send(2, doc('13', {}))).json.msg)).toContain('needs its location type');
      expect(String((await send(3, doc('01', { limits: { H: 200, HH: 160 } }))).json.msg)).toContain('not in order');
      expect(String((await send(4, { ...doc('01', {}), fingerprint: '0'.repeat(64) })).json.msg)).toContain('fingerprint');
      // Realtime for a target never registered is refused; after a valid registration it is taken.
      expect(String((await post(sim.url, { appid: creds.appid, data: encrypt(envelope(5)) })).json.msg)).toContain('测点未注册');
      expect((await send(6, doc('13', { locationType: '1004' }))).json.code).toBe(0);
      expect((await post(sim.url, { appid: creds.appid, data: encrypt(envelope(7)) })).json.code).toBe(0);
      expect(sim.registrations.accepted).toHaveLength(1);
      expect(sim.arrivals.map((a) => a.envelope.type)).toEqual(['basedata', 'realtime']);
    } finally {
      await sim.stop();
    }
  });
});
