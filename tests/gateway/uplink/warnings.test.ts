import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformWarning } from '../../../gateway/core/platform-warning.js';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { SM4, makeUplink, until, type Harness } from './fixtures.js';
import { feedback, platformWarning } from './danger-fixtures.js';

const HTTP = { appid: 'gw-appid', appsecret: 'gw-secret', ...SM4 };
const STEEL = { appKey: 'steel-gw-7', appSecret: 'S3cr3t-never-logged' };
const RESPONSE_KEY = { key: '00112233445566778899aabbccddeeff', iv: '0f0e0d0c0b0a09080706050403020100' };
const GATEWAY = { enterpriseCode: '91350100M000100Y43', gatewayCode: 'gw-test' };

let broker: MosquittoServer;
let sim: PlatformSimulator | undefined;
let h: Harness | undefined;
let received: PlatformWarning[] = [];

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
  received = [];
});

const common = {
  points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
  snapshotPeriod: '1h',
  heartbeatPeriod: '1h',
  retry: { initialDelay: '20ms', maxDelay: '100ms' },
  replayRate: 0,
};

/** Starts the uplink (in `dir`, to restart on the same database) and collects what warnings$ hands over. */
function start(section: Record<string, unknown>, dir?: string): Harness {
  const harness = makeUplink(section, dir);
  harness.sink.warnings$.subscribe((w) => received.push(w));
  return harness;
}

/** Stops the uplink and starts it again on the same database (a gateway restart). */
async function restart(section: Record<string, unknown>): Promise<void> {
  const dir = h!.dir;
  await h!.sink.stop();
  h!.db.close();
  received = [];
  h = start(section, dir);
}

const storedWarnings = (): number => (h!.db.prepare('SELECT COUNT(*) AS n FROM uplink_warnings').get() as { n: number }).n;
const rejected = (reason: string): number => h!.metrics.counter('uplink_warnings_rejected_total', { reason });

describe('platform warnings over MQTT (real mosquitto)', () => {
  const section = (clientId: string) => ({ ...common, transport: { profile: 'mqtt', url: broker.url, clientId, ackTimeout: '5s', connectTimeout: '2s', warnings: {} } });

  it('arrive on the {type}=warning topic; a repeat opens nothing new, also after a restart; warnings sent while the gateway was away arrive when it is back', async () => {
    sim = new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}` } });
    await sim.start();
    const cfg = section(`gw-warn-${Math.random().toString(16).slice(2)}`);
    h = start(cfg);
    await until(() => sim!.arrivals.some((a) => a.envelope.type === 'heartbeat'), 8000, 'gateway connected');
    await sim.issueWarning(platformWarning('W-1'));
    await until(() => received.length === 1, 8000, 'W-1');
    expect(received[0]).toEqual(platformWarning('W-1'));
    // The platform sends it again (its own retry): stored already, nothing new.
    await sim.issueRawWarning(platformWarning('W-1'), GATEWAY);
    await until(() => h!.metrics.total('uplink_warnings_duplicates_total') === 1, 8000, 'the repeat seen');
    expect(received).toHaveLength(1);
    h.sink.sendFeedback(feedback('W-1', { state: 'received', content: '已签收' }));
    await until(() => sim!.warnings.report()[0]!.state === 'received', 8000, 'feedback at the platform');

    await h.sink.stop();
    h.db.close();
    // While the gateway is away: a repeat of W-1 and a new W-2; the broker keeps both (persistent session).
    await sim.issueRawWarning(platformWarning('W-1'), GATEWAY);
    await sim.issueWarning(platformWarning('W-2', { level: 4, kind: 'offline', title: '企业数据中断' }));
    received = [];
    h = start(cfg, h.dir);
    await until(() => received.length === 1, 8000, 'W-2 after the restart');
    await until(() => h!.metrics.total('uplink_warnings_duplicates_total') === 1, 8000, 'the repeat of W-1 after the restart');
    expect(received.map((w) => w.warningId)).toEqual(['W-2']);
    expect(storedWarnings()).toBe(2);
  }, 30_000);

  it('refuses and counts bad warnings by reason, naming the topic and the field; they change nothing', async () => {
    sim = new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}` } });
    await sim.start();
    h = start(section(`gw-warn-${Math.random().toString(16).slice(2)}`));
    await until(() => sim!.arrivals.some((a) => a.envelope.type === 'heartbeat'), 8000, 'gateway connected');
    await sim.issueRawWarning('{"warningId": "W-3", level', GATEWAY);
    await sim.issueRawWarning({ ...platformWarning('W-4'), level: 7 }, GATEWAY);
    await sim.issueRawWarning(platformWarning('W-5', { enterpriseCode: '91110000100000000A' }), GATEWAY);
    await sim.issueRawWarning(platformWarning('W-6', { gatewayCode: 'gw-other' }), GATEWAY);
    await sim.issueWarning(platformWarning('W-7'));
    await until(() => received.length === 1, 8000, 'the good one');
    expect(received.map((w) => w.warningId)).toEqual(['W-7']);
    expect([rejected('json'), rejected('schema'), rejected('enterprise'), rejected('gateway')]).toEqual([1, 1, 1, 1]);
    expect(storedWarnings()).toBe(1);
    const lines = h.log.filter((l) => l.includes('平台预警格式错误'));
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(l).toContain(`safety/${GATEWAY.enterpriseCode}/gw-test/warning`);
    expect(lines.find((l) => l.includes('W-4'))).toMatch(/field[=:"\s]+level/);
  }, 30_000);
});

describe('platform warnings over the MEM HTTP poll', () => {
  const section = () => ({ ...common, transport: { profile: 'mem-http-sm4', url: sim!.url, ...HTTP, timeout: '5s', warnings: { url: sim!.warningsUrl, ackUrl: sim!.warningAckUrl, pollInterval: '100ms' } } });

  it('polls, acknowledges receipt of what it stored, dedups repeats across a restart, refuses bad ones once without acknowledging them', async () => {
    sim = new PlatformSimulator({ http: HTTP });
    await sim.start();
    await sim.issueWarning(platformWarning('W-1'));
    await sim.issueRawWarning({ ...platformWarning('W-2'), feedbackDeadline: 'tomorrow' });
    h = start(section());
    await until(() => received.length === 1, 8000, 'W-1');
    await until(() => sim!.warnings.report()[0]!.receiptAt !== undefined, 8000, 'receipt acknowledged');
    // The bad one stays at the platform (never acknowledged) and is polled again and again, counted once.
    expect(sim.warnings.pending()).toEqual([{ ...platformWarning('W-2'), feedbackDeadline: 'tomorrow' }]);
    await until(() => h!.metrics.total('uplink_warning_polls_total') >= 4, 8000, 'more polls');
    expect(rejected('schema')).toBe(1);
    const line = h.log.find((l) => l.includes('平台预警格式错误'))!;
    expect(line).toContain(sim.warningsUrl);
    expect(line).toContain('feedbackDeadline');
    expect(storedWarnings()).toBe(1);

    h.sink.sendFeedback(feedback('W-1'));
    await until(() => sim!.warnings.report()[0]!.state === 'answered', 8000, 'feedback');
    await restart(section());
    // The platform hands W-1 out again (its receipt was lost, say): stored before the restart, nothing new.
    await sim.issueRawWarning(platformWarning('W-1'));
    await until(() => h!.metrics.total('uplink_warnings_duplicates_total') >= 1, 8000, 'the repeat');
    await until(() => !sim!.warnings.pending().some((p) => (p as PlatformWarning).warningId === 'W-1'), 8000, 'the repeat acknowledged');
    expect(received).toEqual([]);
  }, 30_000);

  it('a warning no feedback was queued for is handed over again after a restart (not lost to a service that was not listening)', async () => {
    sim = new PlatformSimulator({ http: HTTP });
    await sim.start();
    await sim.issueWarning(platformWarning('W-1'));
    h = start(section());
    await until(() => received.length === 1, 8000, 'W-1');
    await restart(section());
    expect(received.map((w) => w.warningId)).toEqual(['W-1']);
    expect(h.metrics.total('uplink_warnings_received_total')).toBe(0);
  }, 30_000);
});

describe('platform warnings over the steel platform REST poll', () => {
  it('polls with the token, decrypts the answer, acknowledges receipt; feedback answers the warning', async () => {
    sim = new PlatformSimulator({ steel: { ...STEEL, responseEncryption: RESPONSE_KEY } });
    await sim.start();
    await sim.issueWarning(platformWarning('W-1', { level: 4, kind: 'unacked_alarm', alarmKey: 'k-1', feedbackDeadline: Date.now() + 3_600_000 }));
    h = start({ ...common, transport: { profile: 'steel-rest', url: sim.steel!.url, ...STEEL, responseEncryption: RESPONSE_KEY, timeout: '5s', warnings: { pollInterval: '100ms' } } });
    await until(() => received.length === 1, 8000, 'W-1');
    expect(received[0]!.alarmKey).toBe('k-1');
    await until(() => sim!.warnings.pending().length === 0, 8000, 'receipt');
    h.sink.sendFeedback(feedback('W-1', { state: 'answered' }));
    await until(() => sim!.warnings.report()[0]!.state === 'answered', 8000, 'answered');
    expect(sim.warnings.unanswered()).toEqual([]);
    sim.steel!.revokeTokens();
    await sim.issueWarning(platformWarning('W-2'));
    await until(() => received.length === 2, 8000, 'W-2 with a renewed token');
    expect(h.metrics.total('uplink_warning_poll_failures_total')).toBe(0);
  }, 30_000);
});

describe('a lost receipt', () => {
  it('the platform hands the warning out again; it is a duplicate, acknowledged on a later poll, and handed over once', async () => {
    sim = new PlatformSimulator({ steel: STEEL });
    await sim.start();
    sim.warnings.failReceipts = true;
    await sim.issueWarning(platformWarning('W-1'));
    h = start({ ...common, transport: { profile: 'steel-rest', url: sim.steel!.url, ...STEEL, timeout: '5s', warnings: { pollInterval: '100ms' } } });
    // The simulator counts a refused receipt before the gateway has read the refusal: wait for both.
    await until(() => sim!.warnings.failedReceipts >= 3 && h!.metrics.counter('uplink_warning_ack_failures_total', { profile: 'steel-rest' }) >= 3, 8000, 'three receipts lost');
    expect(h.metrics.total('uplink_warnings_duplicates_total')).toBeGreaterThanOrEqual(2);
    sim.warnings.failReceipts = false;
    await until(() => sim!.warnings.pending().length === 0, 8000, 'receipt');
    expect(sim.warnings.report()[0]!.receiptAt).toBeDefined();
    expect(received.map((w) => w.warningId)).toEqual(['W-1']);
  }, 30_000);
});

describe('warning settings per profile', () => {
  it('framed-tcp has no warnings (its platforms push none): refused at config time', async () => {
    const { uplinkSectionSchema } = await import('../../../gateway/uplink/config.js');
    const r = uplinkSectionSchema.safeParse({ ...common, transport: { profile: 'framed-tcp', host: '127.0.0.1', port: 9100, appId: 'a', districtCode: '320106', key: '0123456789abcdef', iv: 'abcdef9876543210', warnings: {} } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toContain('warnings');
  });
});

describe('the MQTT warning topic may be a filter', () => {
  it('matches + and # as MQTT does', async () => {
    const { topicMatches } = await import('../../../gateway/uplink/profiles/mqtt.js');
    expect(topicMatches('safety/E/G/warning', 'safety/E/G/warning')).toBe(true);
    expect(topicMatches('safety/E/+/warning', 'safety/E/G2/warning')).toBe(true);
    expect(topicMatches('safety/E/#', 'safety/E/G/warning')).toBe(true);
    expect(topicMatches('safety/E/G/warning', 'safety/E/G/alarm')).toBe(false);
    expect(topicMatches('safety/E/+/warning', 'safety/E/G/x/warning')).toBe(false);
    expect(topicMatches('safety/E/G', 'safety/E/G/warning')).toBe(false);
  });
});
