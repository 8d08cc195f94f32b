/**
 * How long and how much memory `validate` takes on a plant-sized config.
 *   npm run bench:config -- [points]   (default 50000)
 * Prints one JSON object: points, wall and CPU ms to read, parse and validate, peak RSS in MB, and,
 * for comparison, the CPU time the `yaml` package's parseDocument alone takes on the same text (the
 * loader used it for everything before; now only a file with a YAML-level problem goes through it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigConfigYaml } from '../helpers/big-config.js';
import { formatConfigErrors, loadConfigFile } from '../../gateway/config/load.js';

const points = Number(process.argv[2] ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'gw-cfgbench-'));
const file = join(dir, 'big.yaml');
writeFileSync(file, bigConfigYaml(points));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const started = performance.now();
const cpu0 = cpuMs();
const r = loadConfigFile(file);
const ms = performance.now() - started;
const cpu = cpuMs() - cpu0;
// Peak RSS of the process so far (the load runs synchronously, so sampling could not see inside it).
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
const yamlCpu0 = cpuMs();
parseDocument(readFileSync(file, 'utf8'), { lineCounter: new LineCounter(), prettyErrors: true, uniqueKeys: true });
const yamlCpu = cpuMs() - yamlCpu0;
rmSync(dir, { recursive: true, force: true });
if (!r.ok) {
  console.error(formatConfigErrors(file, r.errors.slice(0, 10)));
  process.exitCode = 1;
}
console.log(JSON.stringify({ points, ok: r.ok, wallMs: Math.round(ms), cpuMs: Math.round(cpu), yamlParseCpuMs: Math.round(yamlCpu), peakRssMB }));
