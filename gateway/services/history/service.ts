import { performance } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import type { HistorySection } from './config.js';
import { Downsampler } from './downsampler.js';
import { HistoryStore, type HistoryRow, type TrendSample } from './history-store.js';

/** Readings waiting for the next flush beyond which the oldest are dropped (disk stalled). */
const MAX_PENDING = 200_000;
const PRUNE_EVERY_MS = 3_600_000;
/**
 * Rows per transaction when the timer drains the pending rows: the writes share the event loop with
 * the alarm path, so a backlog (a burst of readings, 100,000 rows took 1.2 s in one transaction on
 * the loaded benchmark machine) is written in slices with the loop free between them.
 */
export const HISTORY_WRITE_SLICE = 2000;
/** Time the drain may hold the event loop before it yields (it goes on at the next turn). */
const DRAIN_BUDGET_MS = 25;

/**
 * The local history of readings (table reading_history of gateway.db) so the console can draw trends
 * without InfluxDB. The reading path only decides and pushes to an array; rows are written once per
 * flushInterval in one transaction, from a timer, never from the reading or alarm path.
 */
export class HistoryService implements Service {
  readonly name = 'history';
  private store: HistoryStore | undefined;
  private readonly sampler: Downsampler;
  private pending: HistoryRow[] = [];
  private sub: Subscription | undefined;
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
  }

  async start(): Promise<void> {
    const db = this.ctx.db;
    if (!db) {
      // A run whose journal is not in SQLite (tests, benchmarks) has nowhere to keep history.
      this.ctx.log.info('本地历史未启用 [no local history: the alarm journal is not in SQLite in this run]');
      return;
    }
    this.store = new HistoryStore(db);
    this.sub = this.ctx.readings$.subscribe((r) => {
      if (!this.sampler.keep(r)) return;
      if (this.pending.length >= MAX_PENDING) {
        // Writes fell far behind: drop the oldest tenth at once (one splice, not a shift per reading).
        const drop = Math.ceil(MAX_PENDING / 10);
        this.pending.splice(0, drop);
        this.ctx.metrics.inc('history_rows_dropped', undefined, drop);
      }
      this.pending.push({ point: r.point, ts: r.ts, value: r.value, quality: r.quality });
    });
    this.flushTimer = setInterval(() => this.drain(), this.cfg.flushInterval).unref();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS).unref();
  }

  private draining = false;

  /**
   * The timer's job: writes the pending rows in transactions of HISTORY_WRITE_SLICE rows for at most
   * DRAIN_BUDGET_MS, then yields to the event loop (the alarm path) and goes on at the next turn.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const step = () => {
      const start = performance.now();
      let ok = true;
      while (ok && this.pending.length > 0 && performance.now() - start < DRAIN_BUDGET_MS) ok = this.writeSlice(HISTORY_WRITE_SLICE);
      if (ok && this.pending.length > 0) setImmediate(step);
      else this.draining = false;
    };
    step();
  }

  /** Writes all that is pending at once (a trend query, stop; tests call it to see rows at once). */
  flush(): void {
    this.writeSlice(Infinity);
  }

  /** Writes up to `max` of the oldest pending rows in one transaction; false when it could not. */
  writeSlice(max: number): boolean {
    if (!this.store || this.pending.length === 0) return false;
    const rows = this.pending.length <= max ? this.pending : this.pending.slice(0, max);
    this.pending = rows === this.pending ? [] : this.pending.slice(max);
    try {
      this.store.write(rows);
      this.ctx.metrics.inc('history_rows_written', undefined, rows.length);
      this.lastError = undefined;
      return true;
    } catch (err) {
      // Disk full or locked: keep the rows for the next flush (bounded by MAX_PENDING).
      this.pending = rows.concat(this.pending).slice(-MAX_PENDING);
      if (this.lastError === undefined) this.ctx.log.warn(`历史数据写入失败 [local history write failed]: ${(err as Error).message}`);
      this.lastError = (err as Error).message;
      return false;
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

  trend(point: string, from: number, to: number, maxPoints: number): TrendSample[] {
    this.flush();
    return this.store?.trend(point, from, to, maxPoints) ?? [];
  }

  health(): ServiceHealth {
    return this.lastError === undefined ? { ok: true } : { ok: false, detail: `历史数据写入失败: ${this.lastError}` };
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    this.sub = undefined;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.flush();
    this.store = undefined;
  }
}

export function createService(ctx: ServiceContext): Service {
  return new HistoryService(ctx, ctx.config.history);
}
