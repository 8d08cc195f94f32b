/**
 * Soak test: the demo at high speed, an MQTT subscriber on everything it publishes and the control
 * socket in use (lists, acknowledgements with comments), for N minutes. The gateway's RSS and heap are
 * sampled from inside it; the memory slope after warm-up is what matters (goal: under 2 MB per hour
 * over 60 minutes). Also sampled: the gateway's open file descriptors (a leak shows as a rising
 * count) and the bytes in its data directory (databases, WALs, backups). At the end every alarm event
 * the subscriber received is checked against the journal: the journal's seq must run without a gap,
 * each received event must be in the journal and identical (else lostEvents / duplicateEvents), and
 * no journaled event between the first and last received may be missing from MQTT (missedOnMqtt).
 *
 *   npm run soak -- --minutes 10 [--speed 10] [--sample 5] [--warmup <minutes>] [--memory-out <file.jsonl>] [--data-from <gateway.db>] [--save-db <file>]
 *
 * The warm-up (default: 30 % of the run, at most 10 minutes) is left out of the slope; `--warmup`
 * sets it, so a bounded cache that fills slowly can be told from a leak by a longer run. Node flags for
 * the gateway process as a deployment would set them (Dockerfile CMD, systemd ExecStart) go in
 * SOAK_NODE_FLAGS. `--memory-out` keeps the raw samples (one JSON line each).
 *
 * `--data-from` starts on a copy of an existing gateway.db (one an earlier soak kept with
 * `--save-db`, or a backup from a gateway's data/backups/): a gateway that has run for a while, with a
 * longer journal to restore, back up and page through. (It does not fill SQLite's page caches: they
 * hold the pages a connection has touched, which on either start are mostly the new ones.)
 *
 * `npm run soak` builds and runs the compiled gateway (dist/), as deployed; run from source
 * (`npx tsx tests/soak/soak.ts`) it measures tsx too, whose source maps grow the heap as modules
 * first format an error stack.
 *
 * Progress goes to stderr; the last line on stdout is one JSON object with the figures.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { sendControl } from '../../gateway/control/client.js';
import { freePort, freePortRange } from '../helpers/ports.js';

/** Compiled (dist/tests/soak/soak.js) runs the compiled gateway; from source, tsx. */
const compiled = import.meta.url.endsWith('.js');
const here = (rel: string) => fileURLToPath(new URL(`${rel}.${compiled ? 'js' : 'ts'}`, import.meta.url));
const tsx = compiled ? [] : ['--import', 'tsx'];

const { values } = parseArgs({ options: { allocator: { type: 'string', default: 'jemalloc' }, warmup: { type: 'string' }, 'memory-out': { type: 'string' }, 'data-from': { type: 'string' }, 'save-db': { type: 'string' }, minutes: { type: 'string', default: '10' }, speed: { type: 'string', default: '10' }, sample: { type: 'string', default: '5' } } });
const minutes = Number(values.minutes);
const sampleSeconds = Number(values.sample);
if (!(minutes > 0) || !(sampleSeconds > 0)) throw new Error('--minutes and --sample must be positive numbers');
const warmupMinutes = values.warmup === undefined ? Math.min(10, minutes * 0.3) : Number(values.warmup);
if (!(warmupMinutes >= 0 && warmupMinutes < minutes)) throw new Error('--warmup must be at least 0 and less than --minutes');
if (values.allocator !== 'jemalloc' && values.allocator !== 'system') throw new Error('--allocator must be jemalloc or system');
/** As the Docker image sets it (Dockerfile ENV LD_PRELOAD; the README's "Memory" says why). */
const JEMALLOC = 'libjemalloc.so.2';
const nodeFlags = (process.env.SOAK_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Least-squares slope of y over t, in units of y per hour. */
function slopePerHour(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 3_600_000;
}

/** The two halves of a series of samples, split at the middle of its time span. */
function halves<T extends { t: number }>(samples: T[]): [T[], T[]] {
  const mid = ((samples[0]?.t ?? 0) + (samples.at(-1)?.t ?? 0)) / 2;
  return [samples.filter((s) => s.t < mid), samples.filter((s) => s.t >= mid)];
}

/** Starts the data directory from a copy of an existing database; returns the journal's last seq. */
function seedDataDir(source: string, dataDir: string): number {
  if (!existsSync(source)) throw new Error(`--data-from ${source}: no such file`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const target = join(dataDir, 'gateway.db');
  copyFileSync(source, target);
  chmodSync(target, 0o600);
  const db = new Database(target, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT MAX(seq) AS seq FROM alarm_events').get() as { seq: number | null }).seq ?? 0;
  } finally {
    db.close();
  }
}

/** Total size of the regular files under dir (recursively). */
function dirBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sum += dirBytes(p);
    else if (e.isFile()) sum += statSync(p).size;
  }
  return sum;
}

/** One line of memory-probe.ts. */
interface MemorySample {
  t: number;
  rss: number;
  heapUsed: number;
  fds: number;
  spaces: Record<string, number>;
  resident?: { brk: number; anon: number; file: number };
  allocator: 'jemalloc' | 'system';
}

/** The demo config's gateway id. */
const GW = 'demo-gw';

const log = (msg: string) => process.stderr.write(`[soak] ${msg}\n`);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
  const memFile = join(dir, 'memory.jsonl');
  const dataDir = join(dir, 'data');
  const startSeq = values['data-from'] === undefined ? 0 : seedDataDir(values['data-from'], dataDir);
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const opcua = await freePortRange(3);
  const child = spawn(
    process.execPath,
    [...nodeFlags, ...tsx, '--import', here('./memory-probe'), here('../../gateway/cli/main'), 'demo', '--speed', values.speed, '--mqtt-port', String(mqttPort), '--opcua-port', String(opcua), '--sim-port', '0', '--http-port', String(httpPort), '--data-dir', dataDir],
    { env: { ...process.env, ...(values.allocator === 'jemalloc' ? { LD_PRELOAD: JEMALLOC } : {}), SOAK_MEMORY_FILE: memFile, SOAK_SAMPLE_MS: String(sampleSeconds * 1000) }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderrTail = '';
  child.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  // Wait for the control socket: the gateway is up.
  const upBy = Date.now() + 120_000;
  while (!existsSync(join(dataDir, 'control.sock'))) {
    if (Date.now() > upBy || child.exitCode !== null) throw new Error(`the demo did not start:\n${stderrTail}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const firstSample = JSON.parse(readFileSync(memFile, 'utf8').split('\n')[0]!) as MemorySample;
  if (firstSample.allocator !== values.allocator) {
    child.kill('SIGTERM');
    throw new Error(`the gateway runs with the ${firstSample.allocator} allocator, not ${values.allocator} (jemalloc: install Debian's libjemalloc2)`);
  }
  log(`demo up (MQTT ${mqttPort}, speed ${values.speed}, ${values.allocator} malloc); running ${minutes} min`);

  let mqttMessages = 0;
  /** Alarm events by seq as received on MQTT; a seq seen twice with different content is a duplicate. */
  const events = new Map<number, unknown>();
  let duplicateEvents = 0;
  const sub = mqtt.connect({ host: '127.0.0.1', port: mqttPort, reconnectPeriod: 1000 });
  // The demo's own tree: a filter wider than gw/<id>/# is refused to anonymous clients.
  sub.on('connect', () => sub.subscribe(`gw/${GW}/#`, { qos: 1 }));
  sub.on('message', (topic, payload) => {
    mqttMessages++;
    if (!topic.endsWith('/events')) return;
    const e = JSON.parse(payload.toString()) as { seq: number };
    const seen = events.get(e.seq);
    if (seen !== undefined && !isDeepStrictEqual(seen, e)) duplicateEvents++;
    events.set(e.seq, e);
  });
  sub.on('error', () => undefined);

  // Every regular file in the data directory (databases, WALs, backups), sampled alongside memory.
  const dbBytes = (): number => dirBytes(dataDir);
  const diskSamples: { t: number; y: number }[] = [];
  const disk = setInterval(() => diskSamples.push({ t: Date.now(), y: dbBytes() / 1048576 }), sampleSeconds * 1000);

  let controlRequests = 0;
  let controlFailures = 0;
  const exerciseControl = async (): Promise<void> => {
    controlRequests++;
    const res = await sendControl(dataDir, { op: 'list' });
    if (!res.ok) return;
    for (const a of res.alarms.filter((x) => x.state === 'UNACK' || x.state === 'RTN_UNACK').slice(0, 5)) {
      controlRequests++;
      await sendControl(dataDir, { op: 'ack', alarmId: a.alarmId, comment: '浸泡测试确认' });
    }
  };
  const control = setInterval(() => {
    exerciseControl().catch(() => {
      controlFailures++;
    });
  }, 2000);

  const end = Date.now() + minutes * 60_000;
  const progress = setInterval(() => log(`${Math.round((end - Date.now()) / 1000)} s left, ${mqttMessages} MQTT messages, ${controlRequests} control requests`), 60_000);
  const died = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), minutes * 60_000))]);
  clearInterval(control);
  clearInterval(progress);
  clearInterval(disk);
  if (died) throw new Error(`the demo exited during the soak (code ${child.exitCode}):\n${stderrTail}`);
  await new Promise((r) => setTimeout(r, 2000)); // the subscriber catches up
  sub.end(true);
  const stoppedAt = Date.now(); // samples after this are the shutdown, not the soak
  child.kill('SIGTERM');
  const code = await exited;

  // Every received event against the journal (read after a clean stop, so nothing is in flight).
  const journal = new Database(join(dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
  const rows = journal.prepare('SELECT seq, event FROM alarm_events ORDER BY seq').all() as { seq: number; event: string }[];
  journal.close();
  if (values['save-db']) copyFileSync(join(dataDir, 'gateway.db'), values['save-db']);
  const bySeq = new Map(rows.map((r) => [r.seq, r.event]));
  let seqGaps = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i]!.seq !== rows[i - 1]!.seq + 1) seqGaps += rows[i]!.seq - rows[i - 1]!.seq - 1;
  let lostEvents = seqGaps;
  for (const [seq, e] of events) {
    const row = bySeq.get(seq);
    if (row === undefined) lostEvents++;
    else if (!isDeepStrictEqual(JSON.parse(row), e)) duplicateEvents++;
  }
  // Retained states from the seeded journal arrive too; MQTT completeness counts from this run's events.
  const received = [...events.keys()].filter((seq) => seq > startSeq);
  const firstSeq = Math.min(...received);
  const lastSeq = Math.max(...received);
  const missedOnMqtt = rows.filter((r) => r.seq >= firstSeq && r.seq <= lastSeq && !events.has(r.seq)).length;
  const finalDbMB = dbBytes() / 1048576;

  const samples = readFileSync(memFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MemorySample);
  if (values['memory-out']) copyFileSync(memFile, values['memory-out']);
  rmSync(dir, { recursive: true, force: true });
  // Warm-up: caches, JIT and SQLite's page cache fill in the first part of the run.
  const warmupMs = warmupMinutes * 60_000;
  const t0 = samples[0]!.t;
  const steady = samples.filter((s) => s.t - t0 >= warmupMs && s.t <= stoppedAt);
  const mb = (b: number) => b / 1048576;
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      minutes,
      speed: Number(values.speed),
      allocator: values.allocator,
      warmupMinutes: round(warmupMs / 60_000),
      dataFrom: values['data-from'],
      journalSeqAtStart: startSeq,
      samples: steady.length,
      rssStartMB: round(mb(steady[0]?.rss ?? Number.NaN)),
      rssEndMB: round(mb(steady.at(-1)?.rss ?? Number.NaN)),
      rssSlopeMBPerHour: round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.rss) })))),
      // A cache that is still filling slows down from one half to the next; a leak keeps its pace.
      rssSlopeMBPerHourByHalf: halves(steady).map((h) => round(slopePerHour(h.map((s) => ({ t: s.t, y: mb(s.rss) }))))),
      heapSlopeMBPerHour: round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.heapUsed) })))),
      // Where RSS growth lives: V8's spaces (physical pages) and the process's mappings by kind.
      slopeMBPerHourBySpace: Object.fromEntries(
        Object.keys(steady[0]?.spaces ?? {}).map((k) => [k, round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.spaces[k] ?? 0) }))))]),
      ),
      // Anonymous memory outside V8's heap: malloc (jemalloc), thread stacks, worker isolates.
      nativeSlopeMBPerHour: steady[0]?.resident
        ? round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb((s.resident?.anon ?? 0) - Object.values(s.spaces).reduce((a, b) => a + b, 0)) }))))
        : undefined,
      slopeMBPerHourByMapping: steady[0]?.resident
        ? Object.fromEntries((['brk', 'anon', 'file'] as const).map((k) => [k, round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.resident?.[k] ?? 0) }))))]))
        : undefined,
      fdsStart: steady[0]?.fds,
      fdsEnd: steady.at(-1)?.fds,
      fdsMax: Math.max(...samples.filter((s) => s.t <= stoppedAt).map((s) => s.fds)),
      fdSlopePerHour: round(slopePerHour(steady.map((s) => ({ t: s.t, y: s.fds })))),
      dataDirStartMB: round(diskSamples.find((s) => s.t - t0 >= warmupMs)?.y ?? Number.NaN),
      dataDirEndMB: round(finalDbMB),
      dataDirSlopeMBPerHour: round(slopePerHour(diskSamples.filter((s) => s.t - t0 >= warmupMs))),
      journalEvents: rows.length,
      eventsReceived: events.size,
      lostEvents,
      duplicateEvents,
      missedOnMqtt,
      mqttMessages,
      controlRequests,
      controlFailures,
      exitCode: code,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
