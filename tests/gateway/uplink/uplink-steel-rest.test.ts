import { afterEach, describe, expect, it } from 'vitest';
import { PlatformSimulator, type Arrival } from '../../../simulators/platform/platform-simulator.js';
import { steelRestProfile, steelRestProfileSchema } from '../../../gateway/uplink/profiles/steel-rest.js';
import { outgoing } from '../../../gateway/uplink/envelope.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import type { BasePoint } from '../../../gateway/config/point-schema.js';
import { CREDIT_CODE, alarm, makeUplink, reading, until, type Harness } from './fixtures.js';
import { killDuringReplay } from './kill9-replay.js';

const CREDS = { appKey: 'steel-gw-7', appSecret: 'S3cr3t-never-logged' };
const RESPONSE_KEY = { key: '00112233445566778899aabbccddeeff', iv: '0f0e0d0c0b0a09080706050403020100' };

let sim: PlatformSimulator;
let h: Harness | undefined;

async function startSim(steel: Partial<ConstructorParameters<typeof PlatformSimulator>[0]['steel']> = {}): Promise<void> {
  sim = new PlatformSimulator({ steel: { ...CREDS, ...steel } });
  await sim.start();
}

afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim?.stop();
});

function section(extra: Record<string, unknown> = {}, transport: Record<string, unknown> = {}) {
  return {
    transport: { profile: 'steel-rest', url: sim.steel!.url, ...CREDS, timeout: '3s', ...transport },
    equipment: [{ code: 'GH1', name: '1#煤气柜', type: '07' }],
    points: [
      { point: 'gh1.co', code: 'CO-2019-01', equipment: 'GH1', tag: 'AT-2019-01', locationType: '2019' },
      { point: 'bf1.top_pressure', code: 'BF01-TP' },
    ],
    snapshotPeriod: '100ms',
    heartbeatPeriod: '1s',
    retry: { initialDelay: '20ms', maxDelay: '100ms' },
    linkDownAlarmAfter: '200ms',
    replayRate: 0,
    ...extra,
  };
}

function expectInOrderOnce(): void {
  const seqs = sim.arrivals.map((a) => a.envelope.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  const ids = sim.arrivals.map((a) => a.envelope.dataId);
  expect(new Set(ids).size).toBe(ids.length);
}

const ofType = (t: string): Arrival[] => sim.arrivals.filter((a) => a.envelope.type === t);

const POINTS = (): Map<string, BasePoint> =>
  new Map<string, BasePoint>([
    ['gh1.co', { id: 'gh1.co', name: '煤气柜活塞上部一氧化碳', unit: 'ppm', area: 'gas', range: { low: 0, high: 1000 }, limits: { H: 24, HH: 160 } }],
    ['bf1.top_pressure', { id: 'bf1.top_pressure', name: '1#高炉炉顶压力', unit: 'kPa', area: 'bf', limits: { H: 250 } }],
  ]);

describe('uplink over the steel platform token REST', () => {
  it('registers base data on first connection, before any realtime data; the platform takes realtime only for registered targets', async () => {
    await startSim();
    h = makeUplink(section(), undefined, POINTS());
    h.readings.next(reading('gh1.co', 12));
    await until(() => ofType('realtime').length >= 2, 5000, 'snapshots');
    expect(sim.arrivals[0]!.envelope.type).toBe('basedata');
    const doc = sim.registrations.accepted[0]!;
    expect(doc.enterprise.code).toBe(CREDIT_CODE);
    expect(doc.equipment).toEqual([{ code: 'GH1', name: '1#煤气柜', type: '07', typeName: '煤气柜' }]);
    expect(doc.targets[0]).toEqual({ code: 'CO-2019-01', name: '煤气柜活塞上部一氧化碳', unit: 'ppm', equipmentCode: 'GH1', tag: 'AT-2019-01', locationType: '2019', locationTypeName: '煤气柜活塞上部', range: { low: 0, high: 1000 }, limits: { H: 24, HH: 160 } });
    expect(sim.rejections).toEqual([]);
    expect(sim.steel!.tokensIssued).toBe(1);
    // A realtime message for a target the platform was never told about is refused.
    const transport = steelRestProfile.create(steelRestProfileSchema.parse({ profile: 'steel-rest', url: sim.steel!.url, ...CREDS }), { logger: silentLogger, metrics: new Metrics(), enterpriseCode: CREDIT_CODE, gatewayCode: 'gw-test' });
    const e = { ...sim.arrivals.find((a) => a.envelope.type === 'realtime')!.envelope, dataId: '6f1c1b8e-8d8f-4c56-9c1e-0a5c2b6f1d11', seq: 999_999 };
    await expect(transport.send(outgoing({ ...e, items: [{ ...e.items[0]!, pointCode: 'NOT-REGISTERED' }] }))).rejects.toThrow(/测点未注册.*NOT-REGISTERED/);
  });

  it('realtime data before registration is held back, not lost, and goes up after the registration is acknowledged', async () => {
    await startSim();
    await sim.setMode('http500');
    h = makeUplink(section());
    for (let i = 0; i < 5; i++) {
      h.readings.next(reading('gh1.co', 100 + i));
      await new Promise((r) => setTimeout(r, 110));
    }
    await until(() => h!.metrics.total('uplink_send_failures_total') >= 3, 5000, 'failures');
    const queuedRealtime = (h.db.prepare("SELECT COUNT(*) AS n FROM uplink_queue WHERE type = 'realtime'").get() as { n: number }).n;
    expect(queuedRealtime).toBeGreaterThanOrEqual(3);
    expect(sim.arrivals).toEqual([]);
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain');
    expect(sim.arrivals[0]!.envelope.type).toBe('basedata');
    expect(ofType('realtime').length).toBeGreaterThanOrEqual(queuedRealtime);
    expect(ofType('realtime').flatMap((a) => a.envelope.items.map((i) => i.value))).toEqual(expect.arrayContaining([100, 101, 102, 103, 104]));
    expect(sim.rejections).toEqual([]);
    expectInOrderOnce();
  });

  it('registers again after a reload that changes the limits, and not when nothing changed', async () => {
    await startSim();
    const points = POINTS();
    h = makeUplink(section({ heartbeatPeriod: '1h' }), undefined, points);
    await until(() => sim.registrations.accepted.length === 1, 5000, 'first registration');
    expect(h.sink.configReloaded()).toBe(false);
    points.set('gh1.co', { ...points.get('gh1.co')!, limits: { H: 24, HH: 100 } });
    expect(h.sink.configReloaded()).toBe(true);
    h.readings.next(reading('gh1.co', 90));
    await until(() => sim.registrations.accepted.length === 2 && ofType('realtime').length > 0, 5000, 'second registration');
    expect(sim.registrations.accepted[1]!.targets[0]!.limits).toEqual({ H: 24, HH: 100 });
    expect(sim.registrations.accepted[1]!.fingerprint).not.toBe(sim.registrations.accepted[0]!.fingerprint);
    expectInOrderOnce();
  });

  it('a token that expires mid-stream is renewed without loss or duplication; the secret is never logged', async () => {
    await startSim({ tokenTtlS: 1 });
    h = makeUplink(section({ snapshotPeriod: '50ms' }, { token: { renewBefore: '200ms' } }));
    h.readings.next(reading('gh1.co', 1));
    await until(() => sim.steel!.tokensIssued >= 3, 8000, 'three tokens');
    // The platform also ends tokens early (a restart): 401, renewal and resend within the same send.
    sim.steel!.revokeTokens();
    const issued = sim.steel!.tokensIssued;
    await until(() => sim.steel!.tokensIssued > issued && ofType('realtime').length > 30, 8000, 'renewed after revocation');
    await h.sink.stop();
    expect(sim.steel!.unauthorized).toBeGreaterThanOrEqual(1);
    expect(h.metrics.total('uplink_send_failures_total')).toBe(0);
    expect(sim.duplicates).toEqual([]);
    const seqs = sim.arrivals.map((a) => a.envelope.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i)); // no gap: nothing lost
    expect(sim.arrivals.length).toBe(h.metrics.total('uplink_sent_total'));
    expect(h.log.join('\n')).not.toContain(CREDS.appSecret);
  });

  it('GET token, AES-CBC encrypted answers, and the alarm codes of a start/end pair', async () => {
    await startSim({ tokenMethod: 'GET', responseEncryption: RESPONSE_KEY });
    h = makeUplink(section({ heartbeatPeriod: '1h', alarmEvents: 'all' }, { token: { method: 'GET' }, responseEncryption: RESPONSE_KEY }));
    h.alarms.next(alarm('gh1.co', true, 180));
    h.alarms.next({ ...alarm('gh1.co', true, 180), state: 'ACKED', user: '张三', comment: '已撤离人员，开启通风' });
    h.alarms.next(alarm('gh1.co', false, 12));
    await until(() => ofType('alarm').length === 3, 5000, 'three alarm messages');
    const [start, ack, end] = ofType('alarm').map((a) => a.coded![0]!);
    expect(start).toMatchObject({ thresholdLevel: 2, alarmStateCode: 3, alarmActive: true, alarmState: 'UNACK' });
    expect(ack).toMatchObject({ thresholdLevel: 2, alarmStateCode: 3, alarmState: 'ACKED', operator: '张三', comment: '已撤离人员，开启通风' });
    expect(end).toMatchObject({ thresholdLevel: 2, alarmStateCode: 0, alarmActive: false });
    expect(start!.alarmKey).toBeDefined();
    expect(new Set([start!.alarmKey, ack!.alarmKey, end!.alarmKey]).size).toBe(1);
    expect(end!.alarmStart).toBe(start!.alarmStart);
    expect(sim.steel!.tokenRequests[0]).toEqual({ method: 'GET', url: '/auth/token' });
    // A wrong response key: the answer does not decrypt, the message stays queued and is counted.
    await h.close();
    h = makeUplink(section({ heartbeatPeriod: '1h' }, { responseEncryption: { key: 'ffeeddccbbaa99887766554433221100', iv: RESPONSE_KEY.iv }, token: { method: 'GET' } }));
    await until(() => h!.metrics.total('uplink_bad_responses_total') >= 1, 5000, 'bad response');
    expect(h.sink.queue.size).toBeGreaterThanOrEqual(1);
  });

  it('500, refused connections, slow answers and a connection dropped before the answer: nothing lost, in order, repeats dropped on dataId', async () => {
    await startSim();
    h = makeUplink(section({ heartbeatPeriod: '1h' }, { timeout: '500ms' }));
    h.readings.next(reading('gh1.co', 1));
    await until(() => ofType('realtime').length >= 1, 5000, 'first snapshot');
    for (const mode of ['http500', 'refuse', 'slow', 'drop'] as const) {
      await sim.setMode(mode, 800);
      h.alarms.next(alarm('gh1.co', true, 200));
      h.alarms.next(alarm('gh1.co', false, 10));
      const failures = h.metrics.total('uplink_send_failures_total');
      await until(() => h!.metrics.total('uplink_send_failures_total') >= failures + 2, 8000, `failures in ${mode}`);
      await sim.setMode('ok');
      await until(() => h!.sink.queue.size <= 1, 10_000, `drain after ${mode}`);
    }
    await until(() => ofType('alarm').length === 8, 5000, 'all alarms');
    expect(ofType('alarm').map((a) => a.envelope.items[0]!.alarmActive)).toEqual([true, false, true, false, true, false, true, false]);
    expect(sim.duplicates.length).toBeGreaterThanOrEqual(1); // the dropped answers: taken, resent, dropped on dataId
    expectInOrderOnce();
  });

  it('kill -9 during a replay loses and duplicates nothing', async () => {
    await startSim();
    await killDuringReplay(sim, section());
  }, 60_000);
});
