/**
 * How long and how much memory `validate` takes on a plant-sized config, measured as an engineer
 * runs it: the compiled CLI (`node dist/gateway/cli/main.js validate --config big.yaml`) in its own
 * process, several runs, medians reported.
 *   npm run bench:config -- [points] [runs]   (default 50000 points, 3 runs)
 * Wall time is from spawn to exit (Node start-up included); CPU (user + system) and peak RSS (VmHWM)
 * are read from /proc while the process runs, so the peak misses at most the last 10 ms before exit,
 * when nothing is allocated. For comparison, the CPU time the `yaml` package's parseDocument alone
 * takes on the same text (the loader used it for everything before; now only a file with a YAML-level
 * problem goes through it). The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { bigConfigYaml } from '../helpers/big-config.js';

const points = Number(process.argv[2] ?? 50_000);
const runs = Number(process.argv[3] ?? 3);
const compiled = import.meta.url.endsWith('.js');
const cli = fileURLToPath(new URL(`../../gateway/cli/main.${compiled ? 'js' : 'ts'}`, import.meta.url));

interface Run {
  wallMs: number;
  cpuMs: number;
  peakRssMB: number;
  ok: boolean;
}

/** utime + stime in ms and VmHWM in MB of a live process, from /proc; undefined once it has exited. */
function sample(pid: number): { cpuMs: number; hwmMB: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    // Clock ticks of 10 ms.
    return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, hwmMB: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return undefined;
  }
}

function validateOnce(file: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), cli, 'validate', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let last = { cpuMs: 0, hwmMB: 0 };
    const poll = setInterval(() => {
      const s = child.pid === undefined ? undefined : sample(child.pid);
      if (s && s.hwmMB > 0) last = s;
    }, 10);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      if (code !== 0) process.stderr.write(out.slice(0, 2000));
      resolve({ wallMs: Math.round(performance.now() - started), cpuMs: last.cpuMs, peakRssMB: Math.round(last.hwmMB), ok: code === 0 });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cfgbench-'));
  const file = join(dir, 'big.yaml');
  writeFileSync(file, bigConfigYaml(points));
  try {
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await validateOnce(file);
      process.stderr.write(`[config] run ${i + 1}: ${JSON.stringify(r)}\n`);
      results.push(r);
    }
    const u0 = process.cpuUsage();
    parseDocument(readFileSync(file, 'utf8'), { lineCounter: new LineCounter(), prettyErrors: true, uniqueKeys: true });
    const u = process.cpuUsage(u0);
    console.log(
      JSON.stringify({
        points,
        runs,
        ok: results.every((r) => r.ok),
        wallMs: median(results.map((r) => r.wallMs)),
        cpuMs: median(results.map((r) => r.cpuMs)),
        peakRssMB: median(results.map((r) => r.peakRssMB)),
        maxPeakRssMB: Math.max(...results.map((r) => r.peakRssMB)),
        maxWallMs: Math.max(...results.map((r) => r.wallMs)),
        yamlParseCpuMs: Math.round((u.user + u.system) / 1000),
      }),
    );
    if (!results.every((r) => r.ok)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
