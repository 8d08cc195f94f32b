/**
 * OPC UA throughput benchmark: `npm run bench:opcua`.
 *
 * A server process (simulators/opcua/bench-server.ts) holds ITEMS analog tags that all change every
 * 250 ms; this process runs the real OPC UA adapter subscribed to all of them (sampling 250 ms,
 * publishing 250 ms) and measures, over a steady window after warm-up:
 *   valuesPerSec      readings received per second
 *   cpuPctOfOneCore   this (gateway) process's CPU time / wall time × 100
 *   peakRssMb         peak resident memory of this process
 *   p50/p99LatencyMs  receive time − source timestamp (server value change → Reading)
 * Environment: ITEMS (5000), WARMUP_S (5), MEASURE_S (20), PUBLISHING_MS (250), SAMPLING_MS (250).
 * The last line of output is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { opcuaDeviceSchema } from '../../adapters/opcua/config.js';
import { createAdapter } from '../../adapters/opcua/adapter.js';
import { consoleLogger } from '../../gateway/core/logger.js';
import { Metrics } from '../../gateway/core/metrics.js';
import type { Reading } from '../../gateway/core/reading.js';

// The bench server beside this script: compiled (npm run build) or TypeScript run with tsx.
const compiled = import.meta.url.endsWith('.js');

const ITEMS = Number(process.env['ITEMS'] ?? 5000);
const WARMUP_S = Number(process.env['WARMUP_S'] ?? 5);
const MEASURE_S = Number(process.env['MEASURE_S'] ?? 20);
const PUBLISHING_MS = Number(process.env['PUBLISHING_MS'] ?? 250);
const SAMPLING_MS = Number(process.env['SAMPLING_MS'] ?? 250);
const TICK_MS = Number(process.env['TICK_MS'] ?? 250);

const dir = mkdtempSync(join(tmpdir(), 'yejin-opcua-bench-'));
const log = consoleLogger('warn', 'bench');

/** Latest (time, cumulative changes) the server reported. */
let serverChanges: { at: number; count: number } = { at: 0, count: 0 };

function startServer(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), fileURLToPath(new URL(`../../simulators/opcua/bench-server.${compiled ? 'js' : 'ts'}`, import.meta.url)), '--items', String(ITEMS), '--tick', String(TICK_MS), '--pki', join(dir, 'server')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench server did not start within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const c = /^CHANGES (\d+) (\d+)/.exec(line);
      if (c) serverChanges = { at: Number(c[1]), count: Number(c[2]) };
      const m = /^READY (\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
      }
    });
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const server = await startServer();
  console.log(`server with ${ITEMS} tags ready on port ${server.port} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const device = opcuaDeviceSchema.parse({
    id: 'bench',
    type: 'opcua',
    endpoint: `opc.tcp://127.0.0.1:${server.port}`,
    pkiDir: join(dir, 'gw'),
    publishingInterval: PUBLISHING_MS,
    samplingInterval: SAMPLING_MS,
    queueSize: 1,
    points: Array.from({ length: ITEMS }, (_, i) => {
      const tag = String(i).padStart(5, '0');
      return { id: `bench.t${tag}`, name: `测点${i}`, unit: '°C', nodeId: `ns=1;s=BENCH.T${tag}` };
    }),
  });

  // Latency histogram in 1 ms buckets up to 10 s (the last bucket collects the rest).
  const hist = new Uint32Array(10_001);
  let measuring = false;
  let received = 0;
  let notGood = 0;
  let total = 0;
  const onReading = (r: Reading) => {
    total++;
    if (!measuring) return;
    received++;
    if (r.quality !== 'Good') notGood++;
    const lat = Math.max(0, Math.round(r.receivedAt - r.ts));
    hist[Math.min(lat, 10_000)]!++;
  };
  const adapter = createAdapter(device, { publish: onReading, log, metrics: new Metrics(), now: () => Date.now() });
  const t1 = Date.now();
  await adapter.start();
  // start() returns after 3 s at most; wait until every item has delivered its initial value.
  while (total < ITEMS && Date.now() - t1 < 120_000) await new Promise((r) => setTimeout(r, 100));
  console.log(`subscribed ${ITEMS} monitored items in ${((Date.now() - t1) / 1000).toFixed(1)} s; warming up ${WARMUP_S} s`);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));

  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const s0 = serverChanges;
  measuring = true;
  await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
  measuring = false;
  const s1 = serverChanges;
  const serverValuesPerSec = s1.at > s0.at ? Math.round(((s1.count - s0.count) * 1000) / (s1.at - s0.at)) : 0;
  const wall = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(rssTimer);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  await adapter.stop();
  server.stop();
  rmSync(dir, { recursive: true, force: true });

  const pct = (q: number) => {
    const target = Math.ceil(received * q);
    let acc = 0;
    for (let i = 0; i < hist.length; i++) {
      acc += hist[i]!;
      if (acc >= target) return i;
    }
    return hist.length - 1;
  };
  const result = {
    bench: 'opcua',
    items: ITEMS,
    samplingIntervalMs: SAMPLING_MS,
    publishingIntervalMs: PUBLISHING_MS,
    offeredValuesPerSec: Math.round((ITEMS * 1000) / TICK_MS),
    /** Changes the server process actually produced (below offered when its machine is overloaded). */
    serverValuesPerSec,
    valuesPerSec: Math.round((received * 1000) / wall),
    notGood,
    cpuPctOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
    peakRssMb: Math.round((peakRss / 1024 / 1024) * 10) / 10,
    p50LatencyMs: pct(0.5),
    p99LatencyMs: pct(0.99),
    measureSeconds: Math.round(wall / 100) / 10,
    node: process.version,
  };
  console.log(`received ${received} readings in ${result.measureSeconds} s`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
