// Benchmark: the real rule engine and alarm manager (with the SQLite journal) on one core.
// 10,000 points, 20,000 rules (threshold limits, rate of change, deviation, STEL), 1,000,000 readings.
// Run three times, each in its own process: the engine alone, the whole gateway as deployed (the
// composition root with the embedded MQTT broker, the MQTT publisher publishing every changed
// reading, the terminal reporter and the control socket), and the same with the local history of
// readings on (gateway/services/history: downsampled in the reading path, written from a timer).
// Prints progress, then one JSON object as the last line: the engine figures at top level, the
// production figures under `production` and those with the history under `productionWithHistory`
// (with the history's rows written and the time its flushes took). Run: npm run bench:rules
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asyncScheduler } from 'rxjs';
import { ReadingBus } from '../../gateway/core/bus.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { validateConfig } from '../../gateway/config/load.js';
import { pointDefinitions, type GatewayConfig } from '../../gateway/config/schema.js';
import { AlarmManager } from '../../gateway/alarms/alarm-manager.js';
import { SqliteAlarmJournal } from '../../gateway/alarms/sqlite-journal.js';
import { openDatabase } from '../../gateway/store/database.js';
import { Checkpointer } from '../../gateway/store/checkpointer.js';
import { RuleRunner } from '../../gateway/runtime/rule-runner.js';
import { buildRuleSet } from '../../rules/engine.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import { findService } from '../../gateway/services/registry.js';
import type { ServiceDefinition } from '../../gateway/services/service.js';
import type { HistoryService } from '../../gateway/services/history/service.js';

const MODE = process.env.BENCH_MODE as 'engine' | 'production' | 'history' | undefined;

const POINTS = Number(process.env.BENCH_POINTS ?? 10_000);
const READINGS = Number(process.env.BENCH_READINGS ?? 1_000_000);
const ROUNDS = Math.ceil(READINGS / POINTS);

function benchConfig() {
  const points = Array.from({ length: POINTS }, (_, i) => ({
    id: `p${i}`,
    name: `测点${i}`,
    unit: 'ppm',
    area: `area${i % 20}`,
    table: 'holding',
    address: i % 60_000,
    limits: { H: 50, HH: 80, deadband: 2 },
  }));
  const rules: Record<string, unknown>[] = [];
  const n = POINTS / 10;
  for (let i = 0; i < 4 * n; i++) rules.push({ id: `roc${i}`, kind: 'rate-of-change', point: `p${i}`, direction: 'rising', limit: 30, per: 's' });
  for (let i = 0; i < 3 * n; i++) rules.push({ id: `dev${i}`, kind: 'deviation', point: `p${4 * n + 2 * i}`, reference: `p${4 * n + 2 * i + 1}`, limit: 40 });
  for (let i = 0; i < 3 * n; i++) rules.push({ id: `stel${i}`, kind: 'stel', point: `p${i}`, limit: 26 });
  return {
    gateway: { id: 'bench', enterprise: { name: '基准测试', creditCode: '91350100M000100Y43' } },
    // Disabled: the benchmark publishes the readings itself, as an adapter would.
    devices: [{ id: 'bench', type: 'modbus-tcp', host: '127.0.0.1', enabled: false, points }],
    rules,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Harness {
  bus: ReadingBus;
  events$: AlarmManager['events$'];
  describe: string;
  /** Figures of the harness's own (the history's writes). */
  extra?(): Record<string, number>;
  close(): Promise<void>;
}

/** The engine alone: bus, rules, alarm manager and its SQLite journal. */
function engineHarness(config: GatewayConfig, dir: string): Harness {
  // As the gateway runs it: journal on synchronous=NORMAL, WAL checkpoints in a worker thread.
  const db = openDatabase(join(dir, 'gateway.db'), { synchronous: 'NORMAL', autoCheckpoint: false });
  const checkpointer = new Checkpointer(join(dir, 'gateway.db'));
  checkpointer.start();
  const bus = new ReadingBus();
  const points = pointDefinitions(config);
  const set = buildRuleSet({ config, points, point$: (id) => bus.point$(id), scheduler: asyncScheduler });
  const manager = new AlarmManager({ definitions: set.definitions, journal: new SqliteAlarmJournal(db), pointInfo: (id) => ({ name: points.get(id)!.name, unit: 'ppm', area: points.get(id)!.area }) });
  const runner = new RuleRunner(manager, silentLogger);
  runner.apply(set);
  return {
    bus,
    events$: manager.events$,
    describe: `${set.rules.length} compiled rules, ${set.definitions.length} alarms`,
    close: async () => {
      runner.stop();
      manager.close();
      db.close();
      await checkpointer.stop();
    },
  };
}

/** The product as deployed: the gateway's composition root with its production services (and the local history). */
async function productionHarness(config: GatewayConfig, dir: string, withHistory: boolean): Promise<Harness> {
  const services = ['mqtt-broker', 'mqtt-publisher', 'control', 'terminal', ...(withHistory ? ['history'] : [])].map((n): ServiceDefinition => findService(n)!);
  // Alarm lines are formatted and written as on a terminal, to /dev/null.
  const out = createWriteStream('/dev/null');
  const gateway = new Gateway({ config, log: silentLogger, dataDir: dir, services, mqttPort: 0, write: (l) => out.write(l + '\n') });
  await gateway.start();
  // Time the history's writes (one SQLite transaction of due chunks per flush, from a timer on the same event loop).
  let flushMs = 0;
  let flushes = 0;
  let flushMaxMs = 0;
  const history = gateway.service<HistoryService>('history');
  if (history) {
    const flush = history.flush.bind(history);
    history.flush = (all?: boolean) => {
      const t = performance.now();
      flush(all);
      const ms = performance.now() - t;
      flushMs += ms;
      flushMaxMs = Math.max(flushMaxMs, ms);
      flushes++;
    };
  }
  return {
    bus: gateway.bus,
    events$: gateway.alarms.events$,
    describe: `${gateway.alarms.list().length} alarms, services ${services.map((s) => s.name).join(', ')}`,
    extra: (): Record<string, number> =>
      history
        ? { historyRowsWritten: gateway.metrics.counter('history_rows_written'), historyRowsDropped: gateway.metrics.counter('history_rows_dropped'), historyWrites: flushes, historyWriteMsTotal: Math.round(flushMs), historyWriteMaxMs: Number(flushMaxMs.toFixed(1)) }
        : {},
    close: async () => {
      await gateway.stop();
      out.end();
    },
  };
}

async function main() {
  if (MODE === undefined) return parent();
  const t0 = performance.now();
  const parsed = validateConfig(benchConfig());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 5)));
  const config = parsed.config;
  const dir = mkdtempSync(join(tmpdir(), 'bench-rules-'));
  const h = MODE === 'engine' ? engineHarness(config, dir) : await productionHarness(config, dir, MODE === 'history');
  const bus = h.bus;
  const mem = process.memoryUsage();
  console.log(`${MODE}: ${POINTS} points, ${h.describe} (${config.rules.length + POINTS} rules configured); setup ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${Math.round(mem.rss / 1048576)} MB (heap ${Math.round(mem.heapUsed / 1048576)} MB)`);

  const latencies = new Float64Array(200_000);
  let nLat = 0;
  let publishedAt = 0;
  let events = 0;
  h.events$.subscribe(() => {
    events++;
    if (nLat < latencies.length) latencies[nLat++] = performance.now() - publishedAt;
  });

  let peakRss = process.memoryUsage().rss;
  const base = Date.UTC(2026, 10, 23);
  const excursion = new Set<number>();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  // Time spent inside the engine (publish → rules → alarm manager → journal), without making up
  // the input: a replay has its readings already, and an adapter has its point ids as constants.
  let engineMs = 0;
  const ids = Array.from({ length: POINTS }, (_, i) => `p${i}`);
  const values = new Float64Array(POINTS);
  for (let round = 0; round < ROUNDS && sent < READINGS; round++) {
    // About 0.2 % of points jump above HH for one round, then come back: raises and clears.
    excursion.clear();
    for (let k = 0; k < POINTS / 500; k++) excursion.add(Math.floor(Math.random() * POINTS));
    for (let i = 0; i < POINTS; i++) values[i] = excursion.has(i) ? 90 + Math.random() * 5 : 10 + Math.random() * 10;
    const ts = base + round * 1000;
    const roundStart = performance.now();
    for (let i = 0; i < POINTS && sent < READINGS; i++, sent++) {
      publishedAt = performance.now();
      bus.publish({ point: ids[i]!, value: values[i]!, quality: 'Good', ts, receivedAt: ts });
    }
    engineMs += performance.now() - roundStart;
    if (round % 10 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await new Promise((r) => setImmediate(r));
  }
  const elapsedS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const sorted = latencies.slice(0, nLat).sort();
  const extra = h.extra?.() ?? {};
  await h.close();
  rmSync(dir, { recursive: true, force: true });
  const result = {
    points: POINTS,
    rules: config.rules.length + POINTS,
    readings: sent,
    alarmEvents: events,
    // Readings per second of engine time on the one core the engine runs on.
    readingsPerSec: Math.round(sent / (engineMs / 1000)),
    // The same including making up the input and yielding to the event loop between rounds.
    wallReadingsPerSec: Math.round(sent / elapsedS),
    cpuPctOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100),
    p50Ms: Number(percentile(sorted, 50).toFixed(4)),
    p99Ms: Number(percentile(sorted, 99).toFixed(4)),
    maxMs: Number((sorted[sorted.length - 1] ?? 0).toFixed(3)),
    peakRssMb: Math.round(peakRss / 1048576),
    ...extra,
  };
  console.log(JSON.stringify(result));
}

/** Runs each mode in a fresh process (so one's heap does not weigh on the other) and combines them. */
async function parent(): Promise<void> {
  const runMode = (mode: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_MODE: mode }, stdio: ['ignore', 'pipe', 'inherit'] });
      let last = '';
      child.stdout.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          if (line.startsWith('{')) last = line;
          else console.log(line);
        }
      });
      child.on('exit', (code) => (code === 0 && last ? resolve(JSON.parse(last) as Record<string, unknown>) : reject(new Error(`${mode} run exited with ${code}`))));
    });
  const engine = await runMode('engine');
  const production = await runMode('production');
  const productionWithHistory = await runMode('history');
  console.log(JSON.stringify({ ...engine, production, productionWithHistory }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
