/**
 * Loaded into the gateway under soak (`node --import ./tests/soak/memory-probe.ts`): appends the
 * process's RSS, heap (used, committed, physical pages per V8 space), external memory and open file descriptor count to $SOAK_MEMORY_FILE, one JSON line every
 * $SOAK_SAMPLE_MS. The timer is unref'd, so it never keeps the gateway alive.
 */
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** Open descriptors of this process (Linux /proc); -1 where /proc is not available. */
function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/**
 * Resident bytes by kind of mapping (Linux /proc/self/smaps): `brk` is the main malloc arena, `anon`
 * every other anonymous mapping (V8's pages, other malloc arenas, thread stacks), `file` mapped files
 * (code, SQLite's shared memory). With V8's own space sizes this says whether growth is JS or native.
 */
function residentByKind(): { brk: number; anon: number; file: number } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return undefined;
  }
  const out = { brk: 0, anon: 0, file: 0 };
  let kind: keyof typeof out = 'anon';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[2] ?? '';
      kind = name === '[heap]' ? 'brk' : head[1] !== '0' || name.startsWith('/') ? 'file' : 'anon';
    } else if (line.startsWith('Rss:')) out[kind] += Number(line.slice(4).trim().split(' ')[0]) * 1024;
  }
  return out;
}

/** The malloc in use: jemalloc when preloaded (as the Docker image runs the gateway), else the system's. */
function allocator(): 'jemalloc' | 'system' {
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc') ? 'jemalloc' : 'system';
  } catch {
    return 'system';
  }
}

const file = process.env.SOAK_MEMORY_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS ?? 5000);
if (file) {
  const malloc = allocator();
  const sample = () => {
    const m = process.memoryUsage();
    // Physical pages per V8 space: when RSS grows while heapUsed does not, this says which space holds them.
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
    appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, spaces, resident: residentByKind(), allocator: malloc, fds: openFds() }) + '\n');
  };
  sample();
  setInterval(sample, every).unref();
}
