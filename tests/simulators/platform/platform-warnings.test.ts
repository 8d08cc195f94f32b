import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { sm4CbcDecrypt, sm4CbcEncrypt, sm4KeyBytes } from '../../../gateway/uplink/sm4.js';
import { toDangerRecord } from '../../../gateway/uplink/danger-record.js';
import { platformWarningSchema } from '../../../gateway/core/platform-warning.js';
import type { Envelope } from '../../../gateway/uplink/envelope.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { dangerReport, feedback, platformWarning } from '../../gateway/uplink/danger-fixtures.js';

const KEY = '0123456789abcdeffedcba9876543210';
const IV = 'fedcba98765432100123456789abcdef';
const creds = { appid: 'plant-7', appsecret: 'p@ss', key: KEY, iv: IV };
const ENTERPRISE = '91350100M000100Y43';

const encrypt = (payload: unknown): string => sm4CbcEncrypt(JSON.stringify(payload), sm4KeyBytes(KEY), sm4KeyBytes(IV)).toString('hex');
const decrypt = (hex: string): unknown => JSON.parse(sm4CbcDecrypt(Buffer.from(hex, 'hex'), sm4KeyBytes(KEY), sm4KeyBytes(IV)).toString('utf8'));

let seq = 1;
function envelope(e: Partial<Envelope>): Envelope {
  return { dataId: randomUUID(), seq: seq++, type: 'hidden_danger', enterpriseCode: ENTERPRISE, gatewayCode: 'gw-1', timestamp: 1_700_000_000_000, historical: false, items: [], ...e };
}

async function post(url: string, data: unknown): Promise<{ code: unknown; msg: unknown; data?: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', appsecret: creds.appsecret }, body: JSON.stringify({ appid: creds.appid, data: encrypt(data) }) });
  return (await res.json()) as { code: unknown; msg: unknown; data?: unknown };
}

describe('platform simulator: hidden-danger records, warnings and feedback (MEM HTTP)', () => {
  let sim: PlatformSimulator;
  afterEach(async () => {
    await sim.stop();
  });

  it('takes a record in the interface form, refuses the wrong form, another enterprise and a record that breaks the interface schema', async () => {
    sim = new PlatformSimulator({ http: creds });
    await sim.start();
    expect(await post(sim.url, envelope({ dangerRecord: toDangerRecord(dangerReport()) }))).toMatchObject({ code: 0 });
    const refusals = [
      envelope({ hiddenDanger: dangerReport() }),
      envelope({ dangerRecord: toDangerRecord(dangerReport({ companyCode: '91110000100000000A' })) }),
      envelope({ dangerRecord: { ...toDangerRecord(dangerReport()), DANGER_LEVEL: '3' } }),
      envelope({ type: 'warning_feedback', dangerRecord: toDangerRecord(dangerReport()) }),
    ];
    for (const e of refusals) expect(await post(sim.url, e)).toMatchObject({ code: 4002 });
    expect(sim.rejections.map((r) => r.reason)).toEqual([
      expect.stringContaining('mem-http-sm4 carries a hidden_danger record as dangerRecord'),
      expect.stringContaining('隐患记录的企业 91110000100000000A'),
      expect.stringContaining('dangerRecord.DANGER_LEVEL'),
      expect.stringContaining('warning_feedback message carries exactly one of warningFeedback'),
    ]);
    expect([...sim.warnings.dangers.keys()]).toEqual(['HD-2026-0001']);
  });

  it('hands issued warnings to the poll until receipt, refuses feedback to a warning it never issued, and reports each warning pending or answered', async () => {
    sim = new PlatformSimulator({ http: creds });
    await sim.start();
    await sim.issueWarning(platformWarning('W-1'));
    await sim.issueWarning(platformWarning('W-2', { level: 4 }));
    const polled = await post(sim.warningsUrl, { enterpriseCode: ENTERPRISE, gatewayCode: 'gw-1' });
    expect(polled.code).toBe(0);
    const list = decrypt(polled.data as string) as unknown[];
    expect(list.map((w) => platformWarningSchema.parse(w).warningId)).toEqual(['W-1', 'W-2']);
    expect(await post(sim.warningAckUrl, { warningIds: ['W-1'] })).toMatchObject({ code: 0 });
    expect(await post(sim.warningAckUrl, { ids: ['W-2'] })).toMatchObject({ code: 4002 });
    expect(decrypt((await post(sim.warningsUrl, {})).data as string)).toEqual([platformWarning('W-2', { level: 4 })]);

    expect(await post(sim.url, envelope({ type: 'warning_feedback', warningFeedback: feedback('W-9') }))).toMatchObject({ code: 4002 });
    expect(sim.rejections.at(-1)!.reason).toContain('反馈的预警不存在');
    expect(await post(sim.url, envelope({ type: 'warning_feedback', warningFeedback: feedback('W-1', { state: 'in_hand' }) }))).toMatchObject({ code: 0 });
    expect(sim.warnings.report().map((s) => [s.warning.warningId, s.state, s.receiptAt !== undefined])).toEqual([
      ['W-1', 'in_hand', true],
      ['W-2', 'pending', false],
    ]);
    expect(await post(sim.url, envelope({ type: 'warning_feedback', warningFeedback: feedback('W-1') }))).toMatchObject({ code: 0 });
    expect(sim.warnings.unanswered().map((s) => s.warning.warningId)).toEqual(['W-2']);
  });

  it('refuses an invalid warning of its own caller', async () => {
    sim = new PlatformSimulator({ http: creds });
    await sim.start();
    await expect(sim.issueWarning({ ...platformWarning('W-1'), level: 5 as never })).rejects.toThrow(/level/);
    await sim.issueWarning(platformWarning('W-1'));
    await expect(sim.issueWarning(platformWarning('W-1'))).rejects.toThrow(/issued twice/);
  });
});

describe('platform simulator: warnings over MQTT', () => {
  let broker: MosquittoServer;
  beforeAll(async () => {
    broker = await MosquittoServer.start();
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('publishes a warning QoS 1 on the gateway\'s warning topic and does not take its own warning for a gateway message', async () => {
    const sim = new PlatformSimulator({ mqtt: { url: broker.url, clientId: `sim-${randomUUID()}` } });
    await sim.start();
    const client = await mqtt.connectAsync(broker.url);
    try {
      await client.subscribeAsync('safety/+/+/warning', { qos: 1 });
      const got = new Promise<{ topic: string; payload: string; qos: number; retain: boolean }>((resolve) =>
        client.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain })),
      );
      await sim.issueWarning(platformWarning('W-1'));
      const m = await got;
      expect(m).toMatchObject({ topic: `safety/${ENTERPRISE}/gw-test/warning`, qos: 1, retain: false });
      expect(platformWarningSchema.parse(JSON.parse(m.payload))).toEqual(platformWarning('W-1'));
      // The simulator's own wildcard subscription sees it too: neither an arrival nor a rejection.
      await new Promise((r) => setTimeout(r, 300));
      expect(sim.arrivals).toEqual([]);
      expect(sim.rejections).toEqual([]);
      expect(sim.warnings.report().map((s) => s.state)).toEqual(['pending']);
    } finally {
      await client.endAsync();
      await sim.stop();
    }
  });
});
