// Benchmark: one county centre taking N enterprise gateways through a local mosquitto.
// N gateways (each its own MQTT client, in a separate process) × 200 points, realtime snapshots every
// 10 s, heartbeats every 30 s, and an alarm burst (every gateway raises a red alarm within 1 s, clears
// it 5 s later). Measures the centre process only: CPU % of one core, peak RSS, envelopes/s, p99 from
// the enterprise's alarm envelope (its timestamp) to the centre's live event stream, lost and
// duplicated alarms. The alarm figure is to the centre console's live stream as a client sees it:
// GET /api/v1/centre/events read by an SSE client in a process of its own (centre-sse-client.ts).
// Runs 500 gateways, then 2,000 (`at2000`). Prints one JSON object as the last line.
// Run: npm run bench:centre   (BENCH_SECONDS=60 per run by default)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { validateConfig } from '../../gateway/config/load.js';
import { usccCheckChar } from '../../gateway/config/uscc.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import { UserStore } from '../../gateway/auth/user-store.js';
import { openDatabase } from '../../gateway/store/database.js';
import type { CentreService } from '../../gateway/services/centre/service.js';
import { MosquittoServer } from '../helpers/mosquitto.js';
import { MemTrace } from './mem-trace.js';

const POINTS = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);

interface Figures {
  gateways: number;
  cpuPctOfOneCore: number;
  peakRssMb: number;
  envelopesPerSec: number;
  p99AlarmToConsoleMs: number;
  p50AlarmToConsoleMs: number;
  lost: number;
  duplicated: number;
  rejected: number;
  /** Message ids the SSE client found missing (each id is one enterprise change). */
  streamGaps: number;
  /** The centre's event-loop delay while measuring: a blocked loop delays every envelope. */
  eventLoopDelayP99Ms: number;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

function creditCode(i: number): string {
  const first17 = `91350100MA${String(i).padStart(7, '0')}`;
  return first17 + usccCheckChar(first17)!;
}

async function run(n: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'centre-bench-'));
  // BENCH_MEMTRACE=<file>: memory every 100 ms by phase (mem-trace.ts), to find where the peak RSS is.
  const trace = new MemTrace(process.env.BENCH_MEMTRACE ?? '', `at${n}`).start();
  const broker = await MosquittoServer.start();
  // The console user the SSE client logs in as (a random password: nothing default).
  const password = randomBytes(18).toString('base64url');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const userDb = openDatabase(join(dir, 'data', 'gateway.db'));
  await new UserStore(userDb, { hashParams: { ln: 10, r: 8, p: 1 } }).add({ name: 'duty1', role: 'viewer', areas: ['*'], password });
  userDb.close();
  const parsed = validateConfig({
    gateway: { id: 'bench-centre', enterprise: { name: '基准县应急管理局', creditCode: creditCode(9_999_999) }, summaryInterval: 0 },
    mqtt: { broker: 'external', url: broker.url },
    storage: { dataDir: join(dir, 'data') },
    http: { port: 0 },
    devices: [],
    centre: { issuer: '基准县监测中心', broker: { url: broker.url, clientId: 'bench-centre-input' }, rules: { offlineWarningAfter: '1h', unackedSeverity4After: '1h' } },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const gw = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined, dataDir: join(dir, 'data') });
  await gw.start();
  const centre = gw.service<CentreService>('centre')!;
  const codes = Array.from({ length: n }, (_, i) => creditCode(i));
  codes.forEach((code, i) => centre.register.upsert({ code, name: `基准企业${i}`, industry: 'steel', town: `镇${i % 12}`, gateways: [`gw-${i}`] }, 'bench', Date.now()));

  // The console: an SSE client in its own process, logged in like a browser.
  const login = await fetch(`${gw.httpAddress!}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'duty1', password }) });
  if (login.status !== 200) throw new Error(`login: HTTP ${login.status}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const consoleFile = fileURLToPath(new URL('./centre-sse-client.js', import.meta.url));
  const sse = fork(consoleFile, [gw.httpAddress!, cookie], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    sse.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(JSON.stringify(m)))));
    sse.once('exit', (code) => reject(new Error(`SSE client exited ${code}`)));
  });

  const burstAt = Math.max(15, Math.floor(SECONDS / 2));
  const fleetFile = fileURLToPath(new URL('./centre-fleet.js', import.meta.url));
  // BENCH_STORM=1: every gateway's first snapshot in the same instant (a reconnect storm, centre-fleet.ts).
  const storm = process.env.BENCH_STORM === '1' ? ['storm'] : [];
  const child = fork(fleetFile, [broker.url, String(n), String(POINTS), String(SECONDS), String(burstAt), ...storm], { stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
  child.stdin!.end(codes.join('\n'));
  trace.enter('connect');
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { kind: string }) => (m.kind === 'connected' ? resolve() : reject(new Error(String(m.kind)))));
    child.once('exit', (code) => reject(new Error(`fleet exited ${code}`)));
  });
  console.error(`${n} gateways connected; running ${SECONDS} s`);
  // The fleet's timers start when it says connected: its first snapshot round, then the burst (and its clears 5 s later).
  trace.enter('first-round');
  const phases = [setTimeout(() => trace.enter('steady'), 10_000), setTimeout(() => trace.enter('burst'), burstAt * 1000), setTimeout(() => trace.enter('after-burst'), burstAt * 1000 + 7000)];
  // Memory from the fleet's first snapshot on: the first round (every point new) is the peak's usual place.
  let peakRss = process.memoryUsage().rss;
  const peak = { heapTotal: 0, heapUsed: 0, external: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  }, 250);
  // CPU and rates after the first snapshots are in (the warm-up is the connect storm, not steady state).
  await new Promise((r) => setTimeout(r, 5000));
  const envelopesBefore = gw.metrics.total('centre_envelopes_total');
  const cpuBefore = process.cpuUsage();
  const t0 = Date.now();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const done = await new Promise<{ fleet: { sent: Record<string, number>; failed: number; alarms: number } }>((resolve) => child.on('message', (m: { kind: string; fleet?: unknown }) => m.kind === 'done' && resolve(m as never)));
  // Whatever is still in flight at the centre.
  await new Promise((r) => setTimeout(r, 2000));
  const elapsed = Date.now() - t0;
  phases.forEach(clearTimeout);
  const tracePeak = trace.stop();
  if (tracePeak) console.error(JSON.stringify({ memPeak: tracePeak }));
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  loop.disable();
  const envelopes = gw.metrics.total('centre_envelopes_total') - envelopesBefore;
  const rejected = gw.metrics.total('centre_rejected_total');
  const stream = await new Promise<{ received: [string, number, number][]; gaps: number }>((resolve) => {
    sse.once('message', (m) => resolve(m as never));
    sse.send('stop');
  });
  const latencies = stream.received.map(([, sentAt, at]) => Math.round(at - sentAt));
  const activations = new Map<string, number>();
  for (const [key] of stream.received) activations.set(key, (activations.get(key) ?? 0) + 1);
  let duplicated = 0;
  for (const c of activations.values()) duplicated += c - 1;
  const lost = (done.fleet.sent.alarm ?? 0) / 2 - activations.size;
  console.error(JSON.stringify({ fleet: done.fleet, centre: gw.metrics.snapshot().counters, peakMb: { heapTotal: Math.round(peak.heapTotal / 1e6), heapUsed: Math.round(peak.heapUsed / 1e6), external: Math.round(peak.external / 1e6) } }));
  // With node --expose-gc: what the centre holds (live heap after a full GC) beside the peak RSS.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    const m = process.memoryUsage();
    console.error(JSON.stringify({ afterGc: { heapUsedMb: Math.round(m.heapUsed / 1e6), externalMb: Math.round(m.external / 1e6), arrayBuffersMb: Math.round(m.arrayBuffers / 1e6), rssMb: Math.round(m.rss / 1e6) } }));
  }
  await gw.stop();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
  const sorted = latencies.sort((a, b) => a - b);
  return {
    gateways: n,
    cpuPctOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 1000) / 10,
    peakRssMb: Math.round(peakRss / 1e6),
    envelopesPerSec: Math.round((envelopes / elapsed) * 10_000) / 10,
    p99AlarmToConsoleMs: pct(sorted, 99),
    p50AlarmToConsoleMs: pct(sorted, 50),
    lost: Math.max(0, Math.round(lost)) + done.fleet.failed,
    duplicated,
    rejected,
    streamGaps: stream.gaps,
    eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
  };
}

async function main(): Promise<void> {
  // BENCH_GATEWAYS=20 runs one small size only (a smoke run); the figures need the default.
  if (process.env.BENCH_GATEWAYS) {
    console.log(JSON.stringify(await run(Number(process.env.BENCH_GATEWAYS))));
    return;
  }
  const at500 = await run(500);
  console.error(JSON.stringify(at500));
  const at2000 = await run(2000);
  console.log(JSON.stringify({ ...at500, at2000 }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
