/**
 * Whole-gateway Modbus benchmark, the product as a user deploys it: the compiled CLI's `run` on a
 * config of 100 Modbus TCP devices × 100 holding registers polled every 100 ms, an HH limit with a
 * deadband on every register, the alarm manager with its SQLite journal, and alarms (and, in the
 * second run, every changed reading) published to an external mosquitto. Polls are counted at the
 * simulated devices; alarms at an independent MQTT subscriber. Run twice: reading publication off,
 * and on change.
 *
 * usage: npm run bench:modbus [-- --devices 100 --registers 100 --interval 100 --seconds 30 --modes off,onchange]
 * Last line: {"reportingOff": {…}, "reportingOnChange": {…}}, each with pollsPerSec,
 * slowestDevicePollsPerSec, cpuPctOfOneCore, peakRssMb, missedAlarms (and the broker's CPU).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { MosquittoServer } from '../helpers/mosquitto.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    registers: { type: 'string', default: '100' },
    interval: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '8' },
    // `off`, `onchange` or both (default): one mode alone while profiling.
    modes: { type: 'string', default: 'off,onchange' },
  },
});
const DEVICES = Number(args.devices);
const REGISTERS = Number(args.registers);
const INTERVAL_MS = Number(args.interval);
const SECONDS = Number(args.seconds);
const WARMUP_S = Number(args.warmup);
/** An alarm counts as raised in time when its event's reading time is within this of the rise. */
const MATCH_WINDOW_MS = 1500;

const compiled = import.meta.url.endsWith('.js');
const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const nodeArgs = (script: string) => [...(compiled ? [] : ['--import', 'tsx']), here(`${script}.${compiled ? 'js' : 'ts'}`)];

/** utime + stime of a process in seconds, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

function gatewayConfig(ports: number[], brokerUrl: string, dataDir: string, publishReadings: boolean) {
  return {
    gateway: { id: 'bench', enterprise: { name: '基准测试钢铁有限公司', creditCode: '91350100M000100Y43' }, summaryInterval: '5s', logLevel: 'warn' },
    mqtt: { broker: 'external', url: brokerUrl, publishReadings },
    ...(process.env.BENCH_NO_HISTORY ? { history: { enabled: false } } : {}),
    storage: { dataDir },
    devices: ports.map((port, d) => ({
      id: `dev${d}`,
      type: 'modbus-tcp',
      host: '127.0.0.1',
      port,
      pollInterval: INTERVAL_MS,
      timeout: 1000,
      points: Array.from({ length: REGISTERS }, (_, r) => ({
        id: `dev${d}.r${r}`,
        name: `${d}号检测仪 通道${r}`,
        unit: 'ppm',
        area: `area${d % 10}`,
        range: { low: 0, high: 100 },
        table: 'holding',
        address: r,
        scale: { factor: 0.1 },
        limits: { HH: 80, deadband: 2 },
      })),
    })),
  };
}

interface Plant {
  child: ChildProcess;
  lines: Interface;
  ports: number[];
  stats(): Promise<{ requests: number[]; rises: [number, number][] }>;
}

async function startPlant(): Promise<Plant> {
  const child = spawn(process.execPath, [...nodeArgs('../../simulators/modbus/bench-plant'), String(DEVICES), String(REGISTERS), String(INTERVAL_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const ports = (JSON.parse(await next()) as { ports: number[] }).ports;
  return {
    child,
    lines,
    ports,
    stats: async () => {
      const reply = next();
      child.stdin.write('stats\n');
      return JSON.parse(await reply) as { requests: number[]; rises: [number, number][] };
    },
  };
}

async function runOnce(name: string, publishReadings: boolean) {
  const broker = await MosquittoServer.start();
  const plant = await startPlant();
  const dir = mkdtempSync(join(tmpdir(), `bench-modbus-${name}-`));
  const cfgFile = join(dir, 'plant.yaml');
  writeFileSync(cfgFile, stringify(gatewayConfig(plant.ports, broker.url, join(dir, 'data'), publishReadings)));

  // The collector: an independent subscriber to the gateway's alarm events.
  const raises: { device: number; ts: number }[] = [];
  const collector = await mqtt.connectAsync(broker.url);
  await collector.subscribeAsync('gw/bench/events', { qos: 1 });
  collector.on('message', (_t, payload) => {
    const e = JSON.parse(payload.toString()) as { alarmId: string; active: boolean; state: string; ts: number };
    const m = /^dev(\d+)\.r0:HH$/.exec(e.alarmId);
    if (m && e.active && e.state === 'UNACK') raises.push({ device: Number(m[1]), ts: e.ts });
  });

  // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the gateway process only.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const gw = spawn(process.execPath, [...flags, ...nodeArgs('../../gateway/cli/main'), 'run', '--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // BENCH_GATEWAY_LOG=<file>: the gateway's output (e.g. with BENCH_NODE_FLAGS=--trace-gc) kept there.
  const keep = process.env.BENCH_GATEWAY_LOG;
  const onOutput = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
    if (keep) appendFileSync(keep, d);
  };
  gw.stdout.on('data', onOutput);
  gw.stderr.on('data', onOutput);
  const started = Date.now();
  while (!out.includes('started') && !out.includes('概况')) {
    if (gw.exitCode !== null || Date.now() - started > 120_000) throw new Error(`gateway did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));

  const s0 = await plant.stats();
  const gwCpu0 = cpuSeconds(gw.pid!);
  const brokerCpu0 = cpuSeconds(broker.process.pid!);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const t1 = Date.now();
  const s1 = await plant.stats();
  const elapsedS = (t1 - t0) / 1000;
  const gwCpu = cpuSeconds(gw.pid!) - gwCpu0;
  const brokerCpu = cpuSeconds(broker.process.pid!) - brokerCpu0;
  const rss = peakRssMb(gw.pid!);
  // Let the alarms of the last rises arrive before counting.
  await new Promise((r) => setTimeout(r, MATCH_WINDOW_MS + 500));

  const perDevice = s1.requests.map((n, d) => (n - s0.requests[d]!) / elapsedS);
  const expected = s1.rises.filter(([, ts]) => ts >= t0 && ts <= t1);
  const used = new Set<number>();
  let missed = 0;
  for (const [device, ts] of expected) {
    const i = raises.findIndex((r, k) => !used.has(k) && r.device === device && r.ts >= ts - 50 && r.ts <= ts + MATCH_WINDOW_MS);
    if (i < 0) missed++;
    else used.add(i);
  }
  const wrong = raises.filter((r, k) => !used.has(k) && r.ts >= t0 + MATCH_WINDOW_MS && r.ts <= t1 && !s1.rises.some(([d, ts]) => d === r.device && Math.abs(r.ts - ts) <= MATCH_WINDOW_MS)).length;

  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));
  await collector.endAsync();
  plant.child.kill('SIGTERM');
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });

  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    pollsPerSecTarget: (DEVICES * 1000) / INTERVAL_MS,
    pollsPerSec: round1(perDevice.reduce((a, b) => a + b, 0)),
    slowestDevicePollsPerSec: round1(Math.min(...perDevice)),
    cpuPctOfOneCore: round1((gwCpu / elapsedS) * 100),
    peakRssMb: rss,
    brokerCpuPctOfOneCore: round1((brokerCpu / elapsedS) * 100),
    expectedAlarms: expected.length,
    missedAlarms: missed,
    wrongAlarms: wrong,
    seconds: round1(elapsedS),
  };
}

const modes = new Set(args.modes.split(','));
const reportingOff = modes.has('off') ? await runOnce('off', false) : undefined;
if (reportingOff) console.log(`reporting off: ${JSON.stringify(reportingOff)}`);
const reportingOnChange = modes.has('onchange') ? await runOnce('onchange', true) : undefined;
if (reportingOnChange) console.log(`reporting on change: ${JSON.stringify(reportingOnChange)}`);
console.log(JSON.stringify({ devices: DEVICES, registersPerDevice: REGISTERS, pollIntervalMs: INTERVAL_MS, reportingOff, reportingOnChange }));
