// Benchmark: MQTT ingest to alarm. A load generator (its own process, ingest-load.ts) publishes
// {"point","value","ts"} readings with QoS 0 over one connection to a local mosquitto (1,000 points,
// rising steps of msg/s, about 1 % crossing HH 160 and 1 % clearing below 150); the gateway (a
// separate process, compiled CLI) subscribes as an ordinary client with the MQTT ingest adapter and
// publishes alarm events to the same broker; a collector (this process) subscribes to the events.
// Prints per step the achieved rate (messages the gateway counted in its /metrics during the step),
// gateway CPU % of one core and RSS over the sending window, alarms expected / received / missing /
// wrong and p50/p99 latency from the crossing reading's publish (in the load generator) to the
// alarm's arrival at the collector; the last line is one JSON object. Run: npm run bench:ingest
// BENCH_STEPS=5000,10000 BENCH_STEP_SECONDS=8 shorten or change it; BENCH_PUBLISH=true republishes
// the ingested readings (the device's `publish:`); BENCH_PROBE=<file> loads ingest-probe.ts into the
// gateway and prints each step's latency split by hop (BENCH_PROBE_ALLOC=1: allocation profiles too).
// BENCH_COALESCE_MS sets the ingest device's readCoalesceMs (default: the adapter's);
// BENCH_MOSQ_NODELAY=0 leaves mosquitto's set_tcp_nodelay at its default (false).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { Crossing, LoadCommand, LoadReport } from './ingest-load.js';

const POINTS = 1000;
const STEPS = (process.env.BENCH_STEPS ?? '5000,10000,20000,40000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 8);
const GATEWAY_ID = 'bench';
const CLI = fileURLToPath(new URL('../../gateway/cli/main.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./ingest-load.js', import.meta.url));
const PROBE = new URL('./ingest-probe.js', import.meta.url).href;

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
function usage(pid: number): { cpuS: number; sysS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS: ticks / 100, sysS: Number(fields[12]) / 100, rssMb: rss ? Number(rss[1]) / 1024 : 0 };
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

/** Milliseconds on CLOCK_MONOTONIC, shared by every process (the load generator stamps crossings with it). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

interface GatewayFigures {
  /** MQTT messages the gateway took in. */
  ingested: number;
  /** Cumulative counts of the alarm journal's commit times by upper bound (s), from its histogram. */
  journal: Map<number, number>;
  /** Sum (s) and count of the journal's commit times. */
  journalSum: number;
  journalCount: number;
}

/** The gateway's own figures, from its /metrics. */
async function gatewayFigures(httpPort: number): Promise<GatewayFigures> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const m = /^gateway_mqtt_ingest_messages_total\{device="bench"\} (\d+)/m.exec(text);
  const journal = new Map<number, number>();
  for (const b of text.matchAll(/^gateway_journal_commit_duration_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) journal.set(b[1] === '+Inf' ? Infinity : Number(b[1]), Number(b[2]));
  const sum = /^gateway_journal_commit_duration_seconds_sum (\S+)/m.exec(text);
  const count = /^gateway_journal_commit_duration_seconds_count (\d+)/m.exec(text);
  return { ingested: m ? Number(m[1]) : 0, journal, journalSum: sum ? Number(sum[1]) : 0, journalCount: count ? Number(count[1]) : 0 };
}

async function ingested(httpPort: number): Promise<number> {
  return (await gatewayFigures(httpPort)).ingested;
}

/** Upper bound (ms) under which 99 % of the step's journal commits fell: where a p99 of alarms may come from. */
function journalP99Ms(before: Map<number, number>, after: Map<number, number>): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total === 0) return null;
  for (const le of bounds) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.99 * total) return le * 1000;
  return null;
}

interface ProbeLine {
  at: number;
  eld: { max: number; p99: number; p50: number; mean: number };
  received: [string, number, number, number][];
  published: [string, number, number][];
  written: number[];
  gc: [number, number, number][];
  reads: number[];
}

/** p50 / p99 / max of a list, rounded to 0.01. */
function spread(values: number[]): { p50: number | null; p99: number | null; max: number | null } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? Math.round(s[s.length - 1]! * 100) / 100 : null };
}

/**
 * The step's latency split by hop from the probe's records (ingest-probe.ts): for every delivered
 * crossing, load generator write → socket read in the gateway → mqtt.js 'message' → event published
 * → written to the socket → arrival at the collector; the same hops averaged over the slowest 1 %;
 * and the event loop's delay, GC pauses and socket read sizes over the step.
 */
function splitByHop(file: string, from: number, delivered: { key: string; sentAt: number; at: number }[]) {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ProbeLine)
    .filter((l) => l.at >= from);
  const recv = new Map<string, { read: number; emit: number }>();
  const pub = new Map<string, number>();
  const written: number[] = [];
  for (const l of lines) {
    for (const [point, ts, read, emit] of l.received) recv.set(`${point}@${ts}`, { read, emit });
    for (const [point, ts, at] of l.published) pub.set(`${point}@${ts}`, at);
    written.push(...l.written);
  }
  written.sort((a, b) => a - b);
  const firstWriteFrom = (t: number): number | undefined => {
    let lo = 0;
    let hi = written.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (written[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return written[lo];
  };
  const hops = { toRead: [] as number[], readToMessage: [] as number[], messageToPublish: [] as number[], publishToWrite: [] as number[], writeToCollector: [] as number[], total: [] as number[] };
  for (const d of delivered) {
    const r = recv.get(d.key);
    const p = pub.get(d.key);
    if (!r || p === undefined) continue;
    const w = firstWriteFrom(p) ?? p;
    hops.toRead.push(r.read - d.sentAt);
    hops.readToMessage.push(r.emit - r.read);
    hops.messageToPublish.push(p - r.emit);
    hops.publishToWrite.push(w - p);
    hops.writeToCollector.push(d.at - w);
    hops.total.push(d.at - d.sentAt);
  }
  const cut = spread(hops.total).p99 ?? Infinity;
  const slow = hops.total.map((t, i) => i).filter((i) => hops.total[i]! >= cut);
  const meanOf = (xs: number[]) => (slow.length ? Math.round((slow.reduce((a, i) => a + xs[i]!, 0) / slow.length) * 100) / 100 : null);
  const gc = lines.flatMap((l) => l.gc);
  const reads = lines.flatMap((l) => l.reads);
  return {
    matched: hops.total.length,
    hops: Object.fromEntries(Object.entries(hops).map(([k, v]) => [k, spread(v)])),
    slowest1pct: Object.fromEntries(Object.entries(hops).map(([k, v]) => [k, meanOf(v)])),
    loopDelayMax: Math.round(Math.max(0, ...lines.map((l) => l.eld.max)) * 100) / 100,
    gc: { minor: spread(gc.filter((g) => g[0] === 1).map((g) => g[2])), minorCount: gc.filter((g) => g[0] === 1).length, minorMsTotal: Math.round(gc.filter((g) => g[0] === 1).reduce((a, g) => a + g[2], 0)), other: gc.filter((g) => g[0] !== 1).map((g) => [g[0], g[2]]) },
    reads: { count: reads.length, meanBytes: reads.length ? Math.round(reads.reduce((a, b) => a + b, 0) / reads.length) : 0, ...spread(reads) },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const port = await freePort();
  const httpPort = await freePort();
  // set_tcp_nodelay: as the README asks of a broker that carries alarm inputs. Without it mosquitto
  // holds a small packet until the previous one is acknowledged, up to Linux's 40 ms delayed ACK
  // (p99 ~45 ms at 10k msg/s). BENCH_MOSQ_NODELAY=0 measures mosquitto's default.
  const noDelay = process.env.BENCH_MOSQ_NODELAY !== '0';
  writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 0', `set_tcp_nodelay ${noDelay}`, `user ${userInfo().username}`, 'log_dest none', ''].join('\n'));
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
    // Only for /metrics: the achieved rate is what the gateway counted, not what was sent.
    http: { port: httpPort },
    devices: [
      {
        id: 'bench',
        type: 'mqtt',
        qos: 0,
        expectedPeriod: '10m',
        ...(process.env.BENCH_COALESCE_MS ? { readCoalesceMs: Number(process.env.BENCH_COALESCE_MS) } : {}),
        // BENCH_PUBLISH=true: republish every ingested reading on gw/bench/readings/… (see adapters/mqtt/README.md).
        ...(process.env.BENCH_PUBLISH ? { publish: JSON.parse(process.env.BENCH_PUBLISH) as unknown } : {}),
        points: Array.from({ length: POINTS }, (_, i) => ({ id: `p${i}`, name: `测点${i}`, unit: 'ppm', area: `area${i % 10}`, limits: { HH: 160, deadband: 10 } })),
      },
    ],
  };
  writeFileSync(join(dir, 'bench.json'), JSON.stringify(config));
  let gatewayErr = '';
  // BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway process.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
  // BENCH_PROBE=<file>: load ingest-probe.js into the gateway and print each step's latency by hop.
  const probeFile = process.env.BENCH_PROBE;
  if (probeFile) {
    writeFileSync(probeFile, '');
    nodeFlags.push('--import', PROBE);
  }
  // BENCH_GATEWAY_STDOUT=<file> keeps the gateway's stdout (e.g. with BENCH_NODE_FLAGS=--trace-gc).
  const gatewayOut: 'ignore' | number = process.env.BENCH_GATEWAY_STDOUT ? openSync(process.env.BENCH_GATEWAY_STDOUT, 'w') : 'ignore';
  const gateway = spawn(process.execPath, [...nodeFlags, CLI, 'run', '--config', join(dir, 'bench.json'), '--data-dir', join(dir, 'data')], { stdio: ['ignore', gatewayOut, 'pipe'] });
  children.push(gateway);
  gateway.stderr!.on('data', (d: Buffer) => (gatewayErr = (gatewayErr + d.toString()).slice(-4000)));
  gateway.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`gateway exited ${code}: ${gatewayErr}`);
  });

  // The collector: an independent subscriber to the alarm events, in this process. An event is
  // matched to its crossing by (point, ts): the event carries the crossing reading's own ts. Crossings
  // come from the load generator over IPC, so either may arrive first. An event for a crossing an
  // earlier step already counted missing is late (shown in the step line), not wrong.
  const collector = await connectClient(url, 'bench-collector');
  const expectedBy = new Map<string, Crossing>();
  const arrivedBy = new Map<string, { kind: string; at: number }>();
  const countedMissing = new Set<string>();
  let received = 0;
  let wrong = 0;
  let late = 0;
  let expected = 0;
  let latencies: number[] = [];
  /** The step's delivered crossings, for the probe's split by hop. */
  let delivered: { key: string; sentAt: number; at: number }[] = [];
  const settle = (key: string, c: Crossing, a: { kind: string; at: number }) => {
    expectedBy.delete(key);
    arrivedBy.delete(key);
    if (a.kind !== c.kind) wrong++;
    else {
      received++;
      latencies.push(a.at - c.sentAt);
      if (probeFile) delivered.push({ key, sentAt: c.sentAt, at: a.at });
    }
  };
  collector.on('message', (topic, payload) => {
    const at = monotonicMs();
    if (!topic.endsWith('/events')) return;
    let e: { point?: string; state?: string; condition?: string; ts?: number };
    try {
      e = JSON.parse(payload.toString()) as typeof e;
    } catch {
      wrong++;
      return;
    }
    if (e.condition !== 'HH' || !e.point) return;
    const key = `${e.point}@${e.ts}`;
    if (countedMissing.delete(key)) return void late++;
    const a = { kind: e.state ?? '', at };
    const c = expectedBy.get(key);
    if (c) settle(key, c, a);
    else if (arrivedBy.has(key)) wrong++;
    else arrivedBy.set(key, a);
  });
  await collector.subscribeAsync(`gw/${GATEWAY_ID}/events`, { qos: 1 });

  const load = fork(LOAD, [url, `gw/${GATEWAY_ID}/ingest/bench`, String(POINTS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(load);
  let stepDone: ((d: { sent: number; seconds: number }) => void) | undefined;
  let loadReady: (() => void) | undefined;
  load.on('message', (m: LoadReport) => {
    if (m.type === 'ready') loadReady?.();
    else if (m.type === 'crossings') {
      for (const c of m.list) {
        expected++;
        const key = `${c.point}@${c.ts}`;
        const a = arrivedBy.get(key);
        if (a) settle(key, c, a);
        else expectedBy.set(key, c);
      }
    } else stepDone?.(m);
  });
  await new Promise<void>((r) => (loadReady = r));
  const command = (c: LoadCommand) => load.send(c);
  // Ready when the gateway has counted a message.
  await until(
    async () => {
      command({ cmd: 'probe' });
      return (await ingested(httpPort).catch(() => 0)) > 0;
    },
    60_000,
    'the gateway to take in a message',
  );

  const steps: Record<string, number | null>[] = [];
  for (const target of STEPS) {
    received = 0;
    wrong = 0;
    late = 0;
    expected = 0;
    latencies = [];
    delivered = [];
    const stepStart = monotonicMs();
    const figuresBefore = await gatewayFigures(httpPort);
    const countBefore = figuresBefore.ingested;
    const before = usage(gateway.pid!);
    const t0 = performance.now();
    const done = new Promise<{ sent: number; seconds: number }>((r) => (stepDone = r));
    command({ cmd: 'step', rate: target, seconds: STEP_SECONDS });
    const { sent, seconds } = await done;
    // CPU and the achieved rate over the sending window: what the gateway took in and spent while
    // the load was on (a gateway that falls behind is not credited with its catching up).
    const during = usage(gateway.pid!);
    const figuresDuring = await gatewayFigures(httpPort);
    const countDuring = figuresDuring.ingested;
    const sendWall = (performance.now() - t0) / 1000;
    // Let the alarms of the step arrive before counting what is missing.
    const settle = Date.now() + 5000;
    while (received + wrong < expected && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
    const sorted = latencies.sort((a, b) => a - b);
    const cpuPct = Math.round(((during.cpuS - before.cpuS) / sendWall) * 1000) / 10;
    const missing = expectedBy.size;
    for (const key of expectedBy.keys()) countedMissing.add(key);
    // Events no crossing of this step asked for are wrong.
    wrong += arrivedBy.size;
    expectedBy.clear();
    arrivedBy.clear();
    const step = {
      targetRate: target,
      achievedRate: Math.round((countDuring - countBefore) / sendWall),
      cpuPct,
      rssMb: Math.round(during.rssMb),
      expected,
      received,
      missing,
      wrong,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
    };
    steps.push(step);
    const extra = { sysPct: Math.round(((during.sysS - before.sysS) / sendWall) * 1000) / 10, lateFromEarlierStep: late, journalCommitP99UnderMs: journalP99Ms(figuresBefore.journal, figuresDuring.journal), journalCommitMeanMs: Math.round(((figuresDuring.journalSum - figuresBefore.journalSum) / Math.max(1, figuresDuring.journalCount - figuresBefore.journalCount)) * 1e5) / 100, journalCommitMsPerS: Math.round(((figuresDuring.journalSum - figuresBefore.journalSum) / sendWall) * 1e4) / 10, sentRate: Math.round(sent / seconds), cpuPctPer10k: Math.round((cpuPct / (step.achievedRate / 10_000)) * 10) / 10, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) };
    console.log(`step ${target} msg/s: ${JSON.stringify({ ...step, ...extra })}`);
    if (probeFile) {
      await new Promise((r) => setTimeout(r, 600));
      console.log(`  by hop (ms) ${JSON.stringify(splitByHop(probeFile, stepStart, delivered))}`);
    }
  }
  command({ cmd: 'stop' });
  await collector.endAsync();
  // The gateway first, while its broker is still there: stopped together, it waited out its
  // shutdown watchdog (20 s) reconnecting, and took CPU from whatever ran next.
  const gatewayExited = new Promise((r) => gateway.once('exit', r));
  gateway.kill('SIGTERM');
  await Promise.race([gatewayExited, new Promise((r) => setTimeout(r, 25_000))]);
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ steps }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
