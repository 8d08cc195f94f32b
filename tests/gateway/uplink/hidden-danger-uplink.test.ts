import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator, type Arrival } from '../../../simulators/platform/platform-simulator.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { UplinkQueue } from '../../../gateway/uplink/queue.js';
import { toDangerRecord } from '../../../gateway/uplink/danger-record.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { CREDIT_CODE, SM4, makeUplink, until, type Harness } from './fixtures.js';
import { T0, dangerReport, feedback, platformWarning } from './danger-fixtures.js';

const TCP = { appId: 'hx-320100-0007', districtCode: '320106', key: '0123456789abcdef0123456789abcdef', iv: 'abcdef9876543210' };
const STEEL = { appKey: 'steel-gw-7', appSecret: 'S3cr3t-never-logged' };
const HTTP = { appid: 'gw-appid', appsecret: 'gw-secret', ...SM4 };

let broker: MosquittoServer;
let sim: PlatformSimulator | undefined;
let h: Harness | undefined;

beforeAll(async () => {
  broker = await MosquittoServer.start();
});
afterAll(async () => {
  await broker.dispose();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim?.stop();
  sim = undefined;
});

const common = {
  points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
  snapshotPeriod: '1h',
  heartbeatPeriod: '1h',
  retry: { initialDelay: '20ms', maxDelay: '100ms' },
  linkDownAlarmAfter: '200ms',
  replayRate: 0,
};

/** Each profile: its platform simulator and the uplink section that sends to it. */
const PROFILES = {
  'mem-http-sm4': {
    sim: () => new PlatformSimulator({ http: HTTP }),
    transport: (s: PlatformSimulator) => ({ profile: 'mem-http-sm4', url: s.url, ...HTTP, timeout: '5s' }),
  },
  mqtt: {
    sim: () => new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}` } }),
    transport: () => ({ profile: 'mqtt', url: broker.url, clientId: `gw-test-${Math.random().toString(16).slice(2)}`, ackTimeout: '5s', connectTimeout: '2s' }),
  },
  'steel-rest': {
    sim: () => new PlatformSimulator({ steel: STEEL }),
    transport: (s: PlatformSimulator) => ({ profile: 'steel-rest', url: s.steel!.url, ...STEEL, timeout: '5s' }),
  },
  'framed-tcp': {
    sim: () => new PlatformSimulator({ tcp: TCP }),
    transport: (s: PlatformSimulator) => ({ profile: 'framed-tcp', host: '127.0.0.1', port: s.tcp!.port, ...TCP, ackTimeout: '5s', connectTimeout: '2s', reconnect: { initialDelay: '50ms', maxDelay: '200ms' } }),
  },
} as const;

const ofType = (t: string): Arrival[] => sim!.arrivals.filter((a) => a.envelope.type === t);

function expectInOrderOnce(): void {
  const seqs = sim!.arrivals.map((a) => a.envelope.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  const ids = sim!.arrivals.map((a) => a.envelope.dataId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(sim!.rejections).toEqual([]);
}

describe.each(Object.keys(PROFILES) as (keyof typeof PROFILES)[])('hidden-danger records and warning feedback over %s', (profile) => {
  it('records (each revision) and feedback reach the platform in queue order, in the form the profile documents', async () => {
    const p = PROFILES[profile];
    sim = p.sim();
    await sim.start();
    await sim.issueWarning(platformWarning('W-1'));
    h = makeUplink({ ...common, transport: p.transport(sim) });
    h.sink.sendHiddenDanger(dangerReport({ warningId: 'W-1' }));
    h.sink.sendFeedback(feedback('W-1', { state: 'in_hand', content: '已派单整改' }));
    h.sink.sendHiddenDanger(dangerReport({ revision: 2, state: 'awaiting_acceptance', warningId: 'W-1', updatedAt: T0 + 60_000 }));
    h.sink.sendFeedback(feedback('W-1'));
    await until(() => ofType('warning_feedback').length === 2, 8000, 'both feedbacks');
    const sent = sim.arrivals.filter((a) => a.envelope.type === 'hidden_danger' || a.envelope.type === 'warning_feedback');
    expect(sent.map((a) => a.envelope.type)).toEqual(['hidden_danger', 'warning_feedback', 'hidden_danger', 'warning_feedback']);
    for (const a of sent) expect(a.envelope.items).toEqual([]);
    const [first, , second] = sent.map((a) => a.envelope);
    if (profile === 'mqtt') {
      // The contract's document, as this product's centre role reads it.
      expect(first!.hiddenDanger).toEqual(dangerReport({ warningId: 'W-1' }));
      expect(first!.dangerRecord).toBeUndefined();
    } else {
      expect(first!.hiddenDanger).toBeUndefined();
      expect(first!.dangerRecord).toEqual(toDangerRecord(dangerReport({ warningId: 'W-1' })));
      expect(second!.dangerRecord).toMatchObject({ DANGER_ID: 'HD-2026-0001', REVISION: 2, DANGER_STATE: '1', DANGER_LEVEL: '1', DANGER_SRC: '11', COMPANY_CODE: CREDIT_CODE });
    }
    expect(sim.warnings.dangers.get('HD-2026-0001')).toMatchObject({ revision: 2, stateCode: '1', revisions: [1, 2] });
    const [status] = sim.warnings.report();
    expect(status!.state).toBe('answered');
    expect(status!.feedback.map((f) => f.state)).toEqual(['in_hand', 'answered']);
    expect(h.metrics.total('uplink_enqueued_total')).toBeGreaterThanOrEqual(4);
    expectInOrderOnce();
  });

  it('a link outage queues them on disk; after it they arrive in order, once each, as historical', async () => {
    const p = PROFILES[profile];
    sim = p.sim();
    await sim.start();
    await sim.issueWarning(platformWarning('W-2'));
    h = makeUplink({ ...common, transport: p.transport(sim) });
    await until(() => ofType('heartbeat').length === 1, 8000, 'link up');
    const down = profile === 'mqtt' ? () => broker.stop() : () => sim!.setMode('refuse');
    const up = profile === 'mqtt' ? () => broker.start() : () => sim!.setMode('ok');
    await down();
    for (let r = 1; r <= 3; r++) h.sink.sendHiddenDanger(dangerReport({ revision: r, state: r === 3 ? 'rectifying' : 'registered', updatedAt: T0 + r }));
    h.sink.sendFeedback(feedback('W-2', { state: 'received', content: '已签收' }));
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && d.active), 8000, 'LINK_DOWN');
    expect(h.sink.queue.size).toBeGreaterThanOrEqual(4);
    await up();
    await until(() => h!.sink.queue.size === 0, 15_000, 'drain');
    await until(() => ofType('warning_feedback').length === 1, 8000, 'the feedback at the platform');
    expect(ofType('hidden_danger').map((a) => [a.envelope.hiddenDanger?.revision ?? a.envelope.dangerRecord?.REVISION, a.envelope.historical])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(sim.warnings.report()[0]!.state).toBe('received');
    expect(sim.warnings.dangers.get('HD-2026-0001')!.revision).toBe(3);
    // QoS 1 through a stopped broker, or an answer later than the timeout on a loaded machine: a
    // repeat is possible, only of something stored (the platform drops it on dataId).
    const ids = sim.arrivals.map((a) => a.envelope.dataId);
    for (const d of sim.duplicates) expect(ids).toContain(d.envelope.dataId);
    expectInOrderOnce();
  }, 40_000);
});

describe('the queue keeps records and feedback like alarms', () => {
  it('has a record and a feedback on disk when sendHiddenDanger / sendFeedback return (the caller marks them sent right after)', async () => {
    // The platform is unreachable: nothing leaves the queue, and the group commit timer cannot have run.
    h = makeUplink({ ...common, transport: { profile: 'mem-http-sm4', url: 'http://127.0.0.1:1/api/data', ...HTTP, timeout: '1s' } });
    const other = openDatabase(join(h.dir, 'gateway.db'));
    try {
      const onDisk = (type: string) => (other.prepare('SELECT COUNT(*) AS n FROM uplink_queue WHERE type = ?').get(type) as { n: number }).n;
      h.sink.sendHiddenDanger(dangerReport());
      expect(onDisk('hidden_danger')).toBe(1);
      h.sink.sendFeedback(feedback('W-7', { state: 'received', content: '已签收' }));
      expect(onDisk('warning_feedback')).toBe(1);
    } finally {
      other.close();
    }
  });

  it('never thins them over maxBytes and never expires them by age', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplinkq-hd-'));
    const db = openDatabase(join(dir, 'gw.db'));
    try {
      const q = new UplinkQueue(db);
      q.enqueueJson('hidden_danger', JSON.stringify(dangerReport()), 1000, true);
      q.enqueueJson('warning_feedback', JSON.stringify(feedback('W-9')), 1001, true);
      for (let i = 0; i < 20; i++) q.enqueue('realtime', [{ pointCode: 'A', value: i, unit: '', quality: 'Good', time: i, alarmLevel: 0 }], 1002 + i, true);
      q.enqueue('heartbeat', [], 1100, true);
      q.flush();
      const r = q.enforce({ maxBytes: 1, maxAge: 10 }, 10_000_000);
      expect(r.expired).toBe(21);
      expect(r.overLimitWithAlarmsOnly).toBe(true);
      expect(q.peek(10).map((m) => m.type)).toEqual(['hidden_danger', 'warning_feedback']);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
