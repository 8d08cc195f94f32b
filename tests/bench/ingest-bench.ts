// Benchmark: MQTT ingest to alarm. A load generator publishes {"point","value","ts"} readings with
// QoS 0 over one connection to a local mosquitto (1,000 points, rising steps of msg/s, about 1 %
// crossing HH 160 and 1 % clearing below 150); the gateway (a separate process, compiled CLI) subscribes
// as an ordinary client with the MQTT ingest adapter and publishes alarm events to the same broker; a
// collector subscribes to the events. Prints per step the achieved rate, gateway CPU % of one core,
// RSS, alarms expected / received / missing / wrong and p50/p99 latency from the crossing reading's
// publish to the alarm's arrival; the last line is one JSON object. Run: npm run bench:ingest
// BENCH_STEPS=5000,10000 BENCH_STEP_SECONDS=8 shorten or change it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';

const POINTS = 1000;
const STEPS = (process.env.BENCH_STEPS ?? '5000,10000,20000,40000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 8);
const GATEWAY_ID = 'bench';
const CLI = fileURLToPath(new URL('../../gateway/cli/main.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** utime + stime of a process in seconds, and its RSS in MB (Linux /proc). */
function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS: ticks / 100, rssMb: rss ? Number(rss[1]) / 1024 : 0 };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

function connectClient(url: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

interface Expected {
  kind: 'UNACK' | 'RTN_UNACK';
  sentAt: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 0', `user ${userInfo().username}`, 'log_dest none', ''].join('\n'));
  const mosquitto = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  // The child processes started so far; stopped newest first (the gateway before its broker).
  const children: ChildProcess[] = [mosquitto];
  const stopAll = () => {
    for (const child of [...children].reverse()) child.kill('SIGTERM');
  };
  process.on('exit', stopAll);
  await until(() => canConnect(port), 10_000, 'mosquitto');
  const url = `mqtt://127.0.0.1:${port}`;

  const config = {
    gateway: { id: GATEWAY_ID, enterprise: { name: '基准测试', creditCode: '91350100M000100Y43' }, summaryInterval: 0, logLevel: 'warn' },
    mqtt: { broker: 'external', url, readingsMaxInterval: 0 },
    alarms: { floodThreshold: 1_000_000 },
    devices: [
      {
        id: 'bench',
        type: 'mqtt',
        qos: 0,
        expectedPeriod: '10m',
        points: Array.from({ length: POINTS }, (_, i) => ({ id: `p${i}`, name: `测点${i}`, unit: 'ppm', area: `area${i % 10}`, limits: { HH: 160, deadband: 10 } })),
      },
    ],
  };
  writeFileSync(join(dir, 'bench.json'), JSON.stringify(config));
  let gatewayErr = '';
  // BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway process.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
  const gateway = spawn(process.execPath, [...nodeFlags, CLI, 'run', '--config', join(dir, 'bench.json'), '--data-dir', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(gateway);
  gateway.stderr.on('data', (d: Buffer) => (gatewayErr = (gatewayErr + d.toString()).slice(-4000)));
  gateway.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`gateway exited ${code}: ${gatewayErr}`);
  });

  const load = await connectClient(url, 'bench-load');
  const collector = await connectClient(url, 'bench-collector');
  const pending = new Map<string, Expected[]>();
  let received = 0;
  let wrong = 0;
  let latencies: number[] = [];
  collector.on('message', (topic, payload) => {
    const now = performance.timeOrigin + performance.now();
    if (topic.endsWith('/events')) {
      let e: { point?: string; state?: string; condition?: string };
      try {
        e = JSON.parse(payload.toString());
      } catch {
        wrong++;
        return;
      }
      if (e.condition !== 'HH' || !e.point) return;
      const q = pending.get(e.point);
      const next = q?.shift();
      if (!next || next.kind !== e.state) {
        wrong++;
        return;
      }
      received++;
      latencies.push(now - next.sentAt);
    }
  });
  await collector.subscribeAsync(`gw/${GATEWAY_ID}/events`, { qos: 1 });
  // Ready when a reading has gone through the gateway.
  const probe = await connectClient(url, 'bench-probe');
  let ready = false;
  probe.on('message', () => (ready = true));
  await probe.subscribeAsync(`gw/${GATEWAY_ID}/readings/p0`);
  await until(
    () => {
      load.publish(`gw/${GATEWAY_ID}/ingest/bench`, JSON.stringify({ point: 'p0', value: 100, ts: Date.now() }));
      return ready;
    },
    60_000,
    'the gateway to pass a reading',
  );
  await probe.endAsync();

  const high = new Array<boolean>(POINTS).fill(false);
  const topic = `gw/${GATEWAY_ID}/ingest/bench`;
  const steps: Record<string, number | null>[] = [];
  let n = 0;
  for (const target of STEPS) {
    received = 0;
    wrong = 0;
    latencies = [];
    let expected = 0;
    const before = usage(gateway.pid!);
    const t0 = performance.now();
    let sent = 0;
    const durationMs = STEP_SECONDS * 1000;
    while (performance.now() - t0 < durationMs) {
      const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * target), sent + target / 50);
      while (sent < due) {
        const i = n++ % POINTS;
        let value: number;
        // About 1 % of messages cross HH 160 and 1 % clear below 150 (half the flips each way).
        const flip = (n * 2654435761) % 100 < 2;
        const sentAt = performance.timeOrigin + performance.now();
        if (flip) {
          high[i] = !high[i];
          value = high[i] ? 170 : 140;
          const q = pending.get(`p${i}`) ?? [];
          q.push({ kind: high[i] ? 'UNACK' : 'RTN_UNACK', sentAt });
          pending.set(`p${i}`, q);
          expected++;
        } else value = high[i] ? 165 + (n % 3) : 100 + (n % 7);
        load.publish(topic, `{"point":"p${i}","value":${value},"ts":${Math.round(sentAt)}}`);
        sent++;
      }
      await new Promise((r) => setImmediate(r));
      if (sent >= due) await new Promise((r) => setTimeout(r, 2));
    }
    const elapsed = (performance.now() - t0) / 1000;
    // Let the alarms of the step arrive before counting what is missing.
    const settle = Date.now() + 5000;
    while (received + wrong < expected && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
    const after = usage(gateway.pid!);
    const wall = (performance.now() - t0) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const cpuPct = Math.round(((after.cpuS - before.cpuS) / wall) * 1000) / 10;
    const missing = [...pending.values()].reduce((s, q) => s + q.length, 0);
    pending.clear();
    const step = { targetRate: target, achievedRate: Math.round(sent / elapsed), cpuPct, rssMb: Math.round(after.rssMb), expected, received, missing, wrong, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    steps.push(step);
    console.log(`step ${target} msg/s: ${JSON.stringify(step)}`);
  }
  await load.endAsync();
  await collector.endAsync();
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ steps }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
