import type { Subscription } from 'rxjs';
import type { Reading } from '../../core/reading.js';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import type { HistorySection } from './config.js';
import { decodeChunk, emptySamples, OpenChunks, packSamples, qualityClass, storedValue, type ChunkRow, type HistorySample } from './chunks.js';
import { Downsampler } from './downsampler.js';
import { HistoryStore, type TrendSample } from './history-store.js';

/** Samples waiting in written-out chunks beyond which the oldest chunks are dropped (disk stalled). */
const MAX_PENDING_SAMPLES = 500_000;
/** A point's open chunk is written after about this long (at most this much is lost on kill -9). */
export const CHUNK_SPAN_MS = 60_000;
/**
 * Chunks written per flush: at least this many, and at least 1/30 of the open ones (twice the steady
 * rate at one flush a second), so the first minute's chunks of a large plant spread over flushes.
 */
const MIN_WRITES_PER_FLUSH = 500;
const PRUNE_EVERY_MS = 3_600_000;
/** Readings from the past held for the next flush beyond which the oldest are dropped (counted). */
const MAX_PAST_PENDING = 100_000;

/**
 * The local history of readings (table history_chunk of gateway.db) so the console can draw trends
 * without InfluxDB. The reading path only decides (Downsampler) and appends to the point's open chunk
 * (OpenChunks): a plain bus tap, no per-reading object. Once per flushInterval a timer writes, in one
 * transaction, the chunks that are full or a minute old (a bounded number per flush, so the event loop
 * is never held long); trends read the stored chunks plus what is still in memory.
 */
export class HistoryService implements Service {
  readonly name = 'history';
  private store: HistoryStore | undefined;
  private readonly sampler: Downsampler;
  private readonly open = new OpenChunks();
  private pending: ChunkRow[] = [];
  private pendingSamples = 0;
  private untap: (() => void) | undefined;
  private pastSub: Subscription | undefined;
  /** Readings from the past (Sparkplug is_historical) waiting for the next flush, packed then. */
  private past: HistorySample[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly cfg: HistorySection,
  ) {
    this.sampler = new Downsampler(cfg, (id) => ctx.points.get(id));
    ctx.metrics.describe('history_rows_written', 'Readings written to the local history');
    ctx.metrics.describe('history_rows_dropped', 'Readings the local history dropped because writes fell behind');
    ctx.metrics.describe('history_historical_rows', 'Readings from the past (Sparkplug is_historical) taken into the local history');
    ctx.metrics.describe('history_historical_rows', 'Readings from the past (Sparkplug is_historical) taken into the local history');
  }

  async start(): Promise<void> {
    const db = this.ctx.db;
    if (!db) {
      // A run whose journal is not in SQLite (tests, benchmarks) has nowhere to keep history.
      this.ctx.log.info('本地历史未启用 [no local history: the alarm journal is not in SQLite in this run]');
      return;
    }
    this.store = new HistoryStore(db);
    this.untap = this.ctx.bus.tap((r, ch) => this.record(r, ch.index));
    // A device's backlog from the past, at its own times: kept whole, and kept out of the live
    // downsampler and open chunks (an older reading would reset its per-point "last kept").
    this.pastSub = this.ctx.historicalReadings$.subscribe((r) => {
      if (this.past.length >= MAX_PAST_PENDING) {
        this.past.shift();
        this.ctx.metrics.inc('history_rows_dropped');
      }
      this.past.push({ point: r.point, ts: r.ts, value: r.value, quality: r.quality });
      this.ctx.metrics.inc('history_historical_rows');
    });
    this.flushTimer = setInterval(() => this.flush(), this.cfg.flushInterval).unref();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS).unref();
  }

  private record(r: Reading, index: number): void {
    if (!this.sampler.keep(r, index)) return;
    const full = this.open.add(r.point, index, r.ts, storedValue(r.value), qualityClass(r.quality), this.ctx.now());
    if (full) this.queue([full]);
  }

  private queue(rows: readonly ChunkRow[]): void {
    for (const row of rows) {
      this.pending.push(row);
      this.pendingSamples += row.n;
    }
    while (this.pendingSamples > MAX_PENDING_SAMPLES && this.pending.length > 1) {
      const dropped = this.pending.shift()!;
      this.pendingSamples -= dropped.n;
      this.ctx.metrics.inc('history_rows_dropped', undefined, dropped.n);
    }
  }

  /** Writes the chunks that are due (the timer's job); `all`: every open chunk too (stop). */
  flush(all = false): void {
    if (!this.store) return;
    const due = all ? this.open.takeAll() : this.open.takeDue(this.ctx.now() - CHUNK_SPAN_MS, Math.max(MIN_WRITES_PER_FLUSH, Math.ceil(this.open.size / 30)));
    this.queue(due);
    if (this.past.length > 0) {
      this.queue(packSamples(this.past));
      this.past = [];
    }
    if (this.pending.length === 0) return;
    const rows = this.pending;
    try {
      this.store.write(rows);
      this.pending = [];
      this.ctx.metrics.inc('history_rows_written', undefined, this.pendingSamples);
      this.pendingSamples = 0;
      this.lastError = undefined;
    } catch (err) {
      // Disk full or locked: keep the chunks for the next flush (bounded by MAX_PENDING_SAMPLES).
      if (this.lastError === undefined) this.ctx.log.warn(`历史数据写入失败 [local history write failed]: ${(err as Error).message}`);
      this.lastError = (err as Error).message;
    }
  }

  private prune(): void {
    const store = this.store;
    if (!store) return;
    const before = this.ctx.now() - this.cfg.retention;
    const step = () => {
      if (this.store !== store) return;
      try {
        if (store.pruneStep(before) === 5000) setImmediate(step);
      } catch (err) {
        this.ctx.log.warn(`历史数据清理失败 [local history prune failed]: ${(err as Error).message}`);
      }
    };
    step();
  }

  /** A point's trend: what is stored plus what is still in memory, so the newest readings show at once. */
  trend(point: string, from: number, to: number, maxPoints: number): TrendSample[] {
    if (!this.store) return [];
    const unwritten = emptySamples();
    for (const row of this.pending) if (row.point === point && row.end >= from && row.start < to) decodeChunk(row.data, from, to, unwritten);
    this.open.appendOpen(point, from, to, unwritten);
    return this.store.trend(point, from, to, maxPoints, unwritten);
  }

  health(): ServiceHealth {
    return this.lastError === undefined ? { ok: true } : { ok: false, detail: `历史数据写入失败: ${this.lastError}` };
  }

  reload(): void {
    // Ranges (and so deadbands) may have changed with the point definitions.
    this.sampler.forgetRanges();
  }

  async stop(): Promise<void> {
    this.untap?.();
    this.untap = undefined;
    this.pastSub?.unsubscribe();
    this.pastSub = undefined;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.flush(true);
    this.store = undefined;
  }
}

export function createService(ctx: ServiceContext): Service {
  return new HistoryService(ctx, ctx.config.history);
}
