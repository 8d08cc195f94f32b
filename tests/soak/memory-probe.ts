/**
 * Loaded into the gateway under soak (`node --import ./tests/soak/memory-probe.ts`): appends the
 * process's RSS, heap and open file descriptor count to $SOAK_MEMORY_FILE, one JSON line every
 * $SOAK_SAMPLE_MS. The timer is unref'd, so it never keeps the gateway alive.
 */
import { appendFileSync, readdirSync } from 'node:fs';

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
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, external: m.external, fds: openFds() }) + '\n');
  };
  sample();
  setInterval(sample, every).unref();
}
