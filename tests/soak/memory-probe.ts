/**
 * Loaded into the gateway under soak (`node --import ./tests/soak/memory-probe.ts`): appends the
 * process's RSS, heap (used, committed, physical pages per V8 space), external memory and open file descriptor count to $SOAK_MEMORY_FILE, one JSON line every
 * $SOAK_SAMPLE_MS. The timer is unref'd, so it never keeps the gateway alive.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** Open descriptors of this process (Linux /proc); -1 where /proc is not available. */
function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

const file = process.env.SOAK_MEMORY_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS ?? 5000);
if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    // Physical pages per V8 space: when RSS grows while heapUsed does not, this says which space holds them.
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, spaces, fds: openFds() }) + '\n');
  };
  sample();
  setInterval(sample, every).unref();
}
