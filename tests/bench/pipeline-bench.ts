/**
 * The gateway's own cost per reading, without the devices: the compiled composition root with the
 * bench:modbus config (10,000 points with an HH limit, SQLite journal, local history, terminal
 * summary, MQTT publisher with publication off) fed 100 blocks of 100 readings every 100 ms straight
 * on the bus, with the same values as bench:modbus's plant. CPU time is the process's own
 * (process.cpuUsage), so the figure moves little with the machine's load; the Modbus requests
 * (about 10 % of a core at 1,000 requests/s) come on top of it in bench:modbus.
 *
 * usage: npm run bench:pipeline [-- --seconds 20] (BENCH_NO_HISTORY=1: without the local history)
 * Last line: {"readingsPerSec", "cpuPctOfOneCore", "usPerReading", "rssMb", "peakRssMb", "heapUsedMb"}.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../../gateway/config/load.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { Reading } from '../../gateway/core/reading.js';
import { Gateway } from '../../gateway/runtime/gateway.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '8' } } });
const DEVICES = 100;
const REGISTERS = 100;
const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
const parsed = validateConfig({
  gateway: { id: 'bench', enterprise: { name: '基准测试钢铁有限公司', creditCode: '91350100M000100Y43' }, summaryInterval: '5s', logLevel: 'warn' },
  // Nothing listens there: the publisher reconnects in the background, as with a broker that is down.
  mqtt: { broker: 'external', url: 'mqtt://127.0.0.1:1', publishReadings: false },
  ...(process.env.BENCH_NO_HISTORY ? { history: { enabled: false } } : {}),
  storage: { dataDir: join(dir, 'data') },
  devices: Array.from({ length: DEVICES }, (_, d) => ({
    id: `dev${d}`,
    type: 'modbus-tcp',
    host: '127.0.0.1',
    port: 1,
    enabled: false,
    pollInterval: 100,
    points: Array.from({ length: REGISTERS }, (_, r) => ({ id: `dev${d}.r${r}`, name: `${d}号检测仪 通道${r}`, unit: 'ppm', area: `area${d % 10}`, range: { low: 0, high: 100 }, table: 'holding', address: r, scale: { factor: 0.1 }, limits: { HH: 80, deadband: 2 } })),
  })),
});
if (!parsed.ok) throw new Error(`bench config: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
const gw = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
await gw.start();

const ids = Array.from({ length: DEVICES }, (_, d) => Array.from({ length: REGISTERS }, (_, r) => `dev${d}.r${r}`));
let step = 0;
let published = 0;
const tick = (): void => {
  step++;
  const now = Date.now();
  for (let d = 0; d < DEVICES; d++) {
    // As simulators/modbus/bench-plant.ts: register 0 above HH for 2 s of every 5 s, the others drift.
    const high = (now + d * 50) % 5000 < 2000;
    const row = ids[d]!;
    for (let r = 0; r < REGISTERS; r++) {
      const raw = r === 0 ? (high ? 900 : 200) : 100 + ((step + d * 7 + r * 13) % 400);
      const reading: Reading = { point: row[r]!, value: raw * 0.1, quality: 'Good', ts: now, receivedAt: now };
      gw.bus.publish(reading);
      published++;
    }
  }
};
const timer = setInterval(tick, 100);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
await sleep(Number(args.warmup));
const cpu0 = process.cpuUsage();
const n0 = published;
const t0 = Date.now();
await sleep(Number(args.seconds));
const cpu = process.cpuUsage(cpu0);
const n = published - n0;
const wallS = (Date.now() - t0) / 1000;
clearInterval(timer);
const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
const mem = process.memoryUsage();
const cpuUs = cpu.user + cpu.system;
const result = {
  readingsPerSec: Math.round(n / wallS),
  cpuPctOfOneCore: Math.round((cpuUs / 1e4 / wallS) * 10) / 10,
  usPerReading: Math.round((cpuUs / n) * 100) / 100,
  rssMb: Math.round(mem.rss / 1048576),
  peakRssMb: peak ? Math.round(Number(peak[1]) / 1024) : 0,
  heapUsedMb: Math.round(mem.heapUsed / 1048576),
};
console.log(JSON.stringify(result));
// Not gw.stop(): with a broker that never answered, the MQTT publisher's end() does not settle (a
// separate finding); the data directory is a temporary one.
rmSync(dir, { recursive: true, force: true });
process.exit(0);
