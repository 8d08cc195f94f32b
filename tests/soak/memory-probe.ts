/**
 * Loaded into the gateway under soak (`node --import ./tests/soak/memory-probe.ts`): appends the
 * process's RSS and heap to $SOAK_MEMORY_FILE, one JSON line every $SOAK_SAMPLE_MS. The timer is
 * unref'd, so it never keeps the gateway alive.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.SOAK_MEMORY_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS ?? 5000);
if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, external: m.external }) + '\n');
  };
  sample();
  setInterval(sample, every).unref();
}
