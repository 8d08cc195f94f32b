// Memory trace of a benchmark process: RSS, heap, external / array buffers and each V8 space, every
// 100 ms, labelled with the benchmark's phase, so a peak RSS can be put down to a phase (start-up,
// connect, first snapshot round, steady state, alarm burst) and to what grew (new space, old space,
// array buffers, or native memory such as SQLite's page cache: rss − heap − external).
// Used by centre-bench.ts when BENCH_MEMTRACE=<file.jsonl> is set; one JSON object a line.
import { appendFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const MB = 1e6;
const mb = (n: number): number => Math.round((n / MB) * 10) / 10;

export interface MemSample {
  t: number;
  label: string;
  phase: string;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** rss − heapTotal − external: code, stacks, malloc (SQLite, mqtt.js's native parts, zlib …). */
  native: number;
  /** physical size of each V8 space (new_space, old_space, large_object_space …). */
  spaces: Record<string, number>;
}

export class MemTrace {
  private phase = 'start';
  private readonly t0 = Date.now();
  private timer: NodeJS.Timeout | undefined;
  peak: MemSample | undefined;

  constructor(
    private readonly file: string,
    private readonly label: string,
  ) {}

  start(everyMs = 100): this {
    if (this.file === '') return this;
    writeFileSync(this.file, '', { flag: 'a' });
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  /** Labels the samples that follow. */
  enter(phase: string): void {
    this.phase = phase;
    if (this.timer) this.sample();
  }

  private sample(): void {
    const m = process.memoryUsage();
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = mb(s.physical_space_size);
    const s: MemSample = {
      t: Date.now() - this.t0,
      label: this.label,
      phase: this.phase,
      rss: mb(m.rss),
      heapUsed: mb(m.heapUsed),
      heapTotal: mb(m.heapTotal),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      native: mb(m.rss - m.heapTotal - m.external),
      spaces,
    };
    if (!this.peak || s.rss > this.peak.rss) this.peak = s;
    appendFileSync(this.file, JSON.stringify(s) + '\n');
  }

  stop(): MemSample | undefined {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak;
  }
}
