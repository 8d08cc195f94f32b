/**
 * Modbus polling benchmark: 100 simulated devices × 100 holding registers polled every 100 ms on
 * loopback (100,000 register values per second). The simulators run in a child process so the
 * figures are the gateway side's alone.
 *
 * usage: npm run bench:modbus [-- --devices 100 --registers 100 --interval 100 --seconds 20]
 * Last line of output: one JSON object with registersPerSec, cpuPctOfOneCore, peakRssMb,
 * pollJitterP99Ms and more.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { modbusTcpDeviceSchema } from '../../adapters/modbus/config.js';
import { ModbusDeviceAdapter } from '../../adapters/modbus/poller.js';
import { Metrics } from '../../gateway/core/metrics.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/reading.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    registers: { type: 'string', default: '100' },
    interval: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
  },
});
const devices = Number(args.devices);
const registers = Number(args.registers);
const intervalMs = Number(args.interval);
const seconds = Number(args.seconds);
const warmupS = Number(args.warmup);

// The simulator beside this script: compiled (npm run build) or TypeScript run with tsx.
const compiled = import.meta.url.endsWith('.js');
const simScript = fileURLToPath(new URL(`../../simulators/modbus/many-devices.${compiled ? 'js' : 'ts'}`, import.meta.url));
const sim = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), simScript, String(devices), String(registers), String(intervalMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = await new Promise<number[]>((resolve, reject) => {
  sim.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  createInterface({ input: sim.stdout }).once('line', (line) => resolve((JSON.parse(line) as { ports: number[] }).ports));
});
console.log(`simulator: ${ports.length} devices on ports ${ports[0]}…${ports[ports.length - 1]}`);

let good = 0;
let bad = 0;
const metrics = new Metrics();
const ctx = {
  publish: (r: Reading) => {
    if (r.quality === 'Good') good++;
    else bad++;
  },
  log: silentLogger,
  metrics,
  now: () => Date.now(),
};
const adapters = ports.map(
  (port, i) =>
    new ModbusDeviceAdapter(
      modbusTcpDeviceSchema.parse({
        type: 'modbus-tcp', id: `dev${i}`, host: '127.0.0.1', port, pollInterval: intervalMs, timeout: 1000,
        points: Array.from({ length: registers }, (_, r) => ({ id: `dev${i}.r${r}`, name: `r${r}`, table: 'holding', address: r, scale: { factor: 0.1 } })),
      }),
      ctx,
    ),
);
for (const a of adapters) await a.start();

await new Promise((r) => setTimeout(r, warmupS * 1000));
const jitterFrom = adapters.map((a) => a.stats().jitterMs.length);
const overrunsFrom = adapters.reduce((n, a) => n + a.stats().overruns, 0);
const requestsFrom = adapters.reduce((n, a) => n + a.stats().requests, 0);
good = 0;
bad = 0;
let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const rssTimer = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 200);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsedS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(rssTimer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const goodPerSec = good / elapsedS;
const badCount = bad;

const jitter = adapters.flatMap((a, i) => a.stats().jitterMs.slice(jitterFrom[i])).sort((x, y) => x - y);
const pct = (p: number) => (jitter.length ? jitter[Math.min(jitter.length - 1, Math.floor((p / 100) * jitter.length))]! : 0);
const stats = adapters.map((a) => a.stats());
const round1 = (x: number) => Math.round(x * 10) / 10;
const result = {
  bench: 'modbus',
  devices,
  registersPerDevice: registers,
  pollIntervalMs: intervalMs,
  seconds: Math.round(elapsedS * 10) / 10,
  registersPerSecTarget: (devices * registers * 1000) / intervalMs,
  registersPerSec: Math.round(goodPerSec),
  badReadings: badCount,
  requestsPerSec: Math.round((stats.reduce((n, s) => n + s.requests, 0) - requestsFrom) / elapsedS),
  overruns: stats.reduce((n, s) => n + s.overruns, 0) - overrunsFrom,
  cpuPctOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (elapsedS * 1000)) * 1000) / 10,
  peakRssMb: Math.round((peakRss / 1024 / 1024) * 10) / 10,
  peakHeapUsedMb: Math.round((peakHeap / 1024 / 1024) * 10) / 10,
  pollJitterP50Ms: round1(pct(50)),
  pollJitterP99Ms: round1(pct(99)),
  pollJitterMaxMs: round1(jitter.length ? jitter[jitter.length - 1]! : 0),
  rttMsAvg: Math.round((stats.reduce((n, s) => n + s.rttMsAvg, 0) / stats.length) * 100) / 100,
};

for (const a of adapters) await a.stop();
sim.kill('SIGTERM');
console.log(JSON.stringify(result));
