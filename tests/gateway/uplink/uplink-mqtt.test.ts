import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { alarm, makeUplink, reading, until, type Harness } from './fixtures.js';
import { killDuringReplay } from './kill9-replay.js';

let broker: MosquittoServer;
let sim: PlatformSimulator;
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
  if (!broker.process.running) await broker.start();
});

async function startSim(): Promise<void> {
  sim = new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}` } });
  await sim.start();
}

function mqttSection(extra: Record<string, unknown> = {}) {
  return {
    transport: { profile: 'mqtt', url: broker.url, clientId: `gw-test-${Math.random().toString(16).slice(2)}`, ackTimeout: '2s', connectTimeout: '1s' },
    points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
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
  // A broker stopped mid-flight may make a message arrive twice (QoS 1 is at-least-once); the
  // platform drops the repeat on dataId. It must be a repeat of something stored, nothing new.
  expect(sim.rejections).toEqual([]);
  for (const d of sim.duplicates) expect(ids).toContain(d.envelope.dataId);
}

describe('uplink over MQTT (real mosquitto)', () => {
  it('publishes QoS 1 to safety/<enterprise>/<gateway>/<type>; broker outage raises LINK_DOWN, then every message arrives in seq order once', async () => {
    await startSim();
    h = makeUplink(mqttSection());
    h.readings.next(reading('gh1.co', 8));
    await until(() => sim.arrivals.some((a) => a.envelope.type === 'realtime'), 5000, 'first snapshot');
    expect(sim.arrivals[0]!.envelope.enterpriseCode).toBe('91350100M000100Y43');

    await broker.stop();
    const outageStart = Date.now();
    h.alarms.next(alarm('gh1.co', true, 250));
    for (let i = 0; i < 4; i++) {
      h.readings.next(reading('gh1.co', 30 + i));
      await new Promise((r) => setTimeout(r, 60));
    }
    h.alarms.next(alarm('gh1.co', false, 12));
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && d.active), 5000, 'LINK_DOWN');
    const queued = h.sink.queue.size;
    expect(queued).toBeGreaterThanOrEqual(4);

    await broker.start();
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && !d.active), 10_000, 'LINK_DOWN clears');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain');
    // PUBACK comes from the broker; the platform's persistent session gets what it queued meanwhile.
    await until(() => sim.arrivals.length === h!.metrics.total('uplink_sent_total'), 10_000, 'simulator got everything sent');
    const inOutage = sim.arrivals.filter((a) => a.envelope.timestamp >= outageStart && a.envelope.type !== 'heartbeat');
    expect(inOutage.filter((a) => a.envelope.type === 'alarm').map((a) => a.envelope.items[0]!.alarmActive)).toEqual([true, false]);
    expect(inOutage.filter((a) => a.envelope.timestamp < outageStart + 250).every((a) => a.envelope.historical)).toBe(true);
    expectInOrderOnce();
  });

  it('kill -9 of the gateway during an outage loses nothing', async () => {
    await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'uplink-kill9-'));
    const dbFile = join(dir, 'gateway.db');
    const env = { ...process.env, UPLINK_CONFIG: JSON.stringify(mqttSection({ snapshotPeriod: '1h', heartbeatPeriod: '1h' })) };
    const spawnChild = (): { child: ChildProcessWithoutNullStreams; lines: string[] } => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'uplink-child.ts'), dbFile], { env });
      const lines: string[] = [];
      child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
      return { child, lines };
    };
    try {
      await broker.stop();
      const first = spawnChild();
      await until(() => first.lines.some((l) => l.startsWith('ready')), 15_000, 'child ready');
      first.child.stdin.write('alarms 0 20\n');
      await until(() => first.lines.includes('committed 20'), 5000, 'committed');
      first.child.stdin.write('alarms 20 5\n');
      await until(() => first.lines.includes('committed 5'), 5000, 'committed');
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(sim.arrivals).toHaveLength(0);

      await broker.start();
      const second = spawnChild();
      await until(() => second.lines.some((l) => l.startsWith('ready backlog=')), 15_000, 'child restarted');
      const backlog = Number(second.lines.find((l) => l.startsWith('ready backlog='))!.split('=')[1]);
      expect(backlog).toBeGreaterThanOrEqual(25);
      await until(() => sim.arrivals.filter((a) => a.envelope.type === 'alarm').length >= 25, 15_000, 'all alarms after restart');
      second.child.kill('SIGTERM');
      const alarms = sim.arrivals.filter((a) => a.envelope.type === 'alarm');
      expect(alarms.map((a) => a.envelope.items[0]!.value)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      expect(alarms.every((a) => a.envelope.historical)).toBe(true);
      expect(alarms.every((a) => a.envelope.gatewayCode === 'gw-kill9')).toBe(true);
      expectInOrderOnce();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kill -9 during a replay loses and duplicates nothing', async () => {
    await startSim();
    await killDuringReplay(sim, mqttSection(), { down: () => broker.stop(), up: () => broker.start() });
  }, 60_000);
});
