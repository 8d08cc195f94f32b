/**
 * Soak test: the demo at high speed, an MQTT subscriber on everything it publishes and the control
 * socket in use (lists, acknowledgements with comments), for N minutes. The gateway's RSS and heap are
 * sampled from inside it; the memory slope after warm-up is what matters (goal: under 2 MB per hour
 * over 60 minutes).
 *
 *   npm run soak -- --minutes 10 [--speed 10] [--sample 5]
 *
 * Progress goes to stderr; the last line on stdout is one JSON object with the figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { sendControl } from '../../gateway/control/client.js';
import { freePort, freePortRange } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/cli.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, speed: { type: 'string', default: '10' }, sample: { type: 'string', default: '5' } } });
const minutes = Number(values.minutes);
const sampleSeconds = Number(values.sample);
if (!(minutes > 0) || !(sampleSeconds > 0)) throw new Error('--minutes and --sample must be positive numbers');

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

const log = (msg: string) => process.stderr.write(`[soak] ${msg}\n`);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
  const memFile = join(dir, 'memory.jsonl');
  const dataDir = join(dir, 'data');
  const mqttPort = await freePort();
  const opcua = await freePortRange(3);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './tests/soak/memory-probe.ts', 'gateway/cli/main.ts', 'demo', '--speed', values.speed, '--mqtt-port', String(mqttPort), '--opcua-port', String(opcua), '--sim-port', '0', '--data-dir', dataDir],
    { cwd: REPO_ROOT, env: { ...process.env, SOAK_MEMORY_FILE: memFile, SOAK_SAMPLE_MS: String(sampleSeconds * 1000) }, stdio: ['ignore', 'ignore', 'pipe'] },
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
  log(`demo up (MQTT ${mqttPort}, speed ${values.speed}); running ${minutes} min`);

  let mqttMessages = 0;
  const sub = mqtt.connect({ host: '127.0.0.1', port: mqttPort, reconnectPeriod: 1000 });
  sub.on('connect', () => sub.subscribe('gw/#'));
  sub.on('message', () => mqttMessages++);
  sub.on('error', () => undefined);

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
  sub.end(true);
  if (died) throw new Error(`the demo exited during the soak (code ${child.exitCode}):\n${stderrTail}`);
  child.kill('SIGTERM');
  const code = await exited;

  const samples = readFileSync(memFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: number; rss: number; heapUsed: number });
  rmSync(dir, { recursive: true, force: true });
  // Warm-up: caches, JIT and SQLite's page cache fill in the first part of the run.
  const warmupMs = Math.min(10 * 60_000, minutes * 60_000 * 0.3);
  const t0 = samples[0]!.t;
  const steady = samples.filter((s) => s.t - t0 >= warmupMs);
  const mb = (b: number) => b / 1048576;
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      minutes,
      speed: Number(values.speed),
      warmupMinutes: round(warmupMs / 60_000),
      samples: steady.length,
      rssStartMB: round(mb(steady[0]?.rss ?? Number.NaN)),
      rssEndMB: round(mb(steady.at(-1)?.rss ?? Number.NaN)),
      rssSlopeMBPerHour: round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.rss) })))),
      heapSlopeMBPerHour: round(slopePerHour(steady.map((s) => ({ t: s.t, y: mb(s.heapUsed) })))),
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
