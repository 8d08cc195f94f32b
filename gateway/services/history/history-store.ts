import type { QualityCode } from '../../core/quality.js';
import type { ReadingValue } from '../../core/reading.js';
import { migrate, type Db, type Migration } from '../../store/database.js';

export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'history-001',
    sql: `
      CREATE TABLE reading_history (
        point TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL,
        quality TEXT NOT NULL,
        PRIMARY KEY (point, ts)
      ) WITHOUT ROWID;
      CREATE INDEX reading_history_ts ON reading_history (ts);
    `,
  },
];

export interface HistoryRow {
  point: string;
  ts: number;
  value: ReadingValue;
  quality: QualityCode;
}

/** One sample of a trend: the mean of a bucket with its extremes (or one reading when not bucketed). */
export interface TrendSample {
  ts: number;
  value: number | null;
  min: number | null;
  max: number | null;
  /** Worst quality in the bucket is Bad (the trend shows a gap or a mark). */
  bad: boolean;
}

function toNumber(v: ReadingValue): number | null {
  if (v === null) return null;
  return typeof v === 'boolean' ? (v ? 1 : 0) : Number.isFinite(v) ? v : null;
}

/** The reading_history table: batched writes, bucketed reads, pruning in steps. */
export class HistoryStore {
  private readonly insertMany;
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, HISTORY_MIGRATIONS);
    const insert = db.prepare('INSERT OR REPLACE INTO reading_history (point, ts, value, quality) VALUES (?, ?, ?, ?)');
    this.insertMany = db.transaction((rows: readonly HistoryRow[]) => {
      for (const r of rows) insert.run(r.point, r.ts, toNumber(r.value), r.quality);
    });
    this.stmt = {
      count: db.prepare('SELECT COUNT(*) AS n FROM reading_history WHERE point = ? AND ts >= ? AND ts < ?'),
      raw: db.prepare('SELECT ts, value, quality FROM reading_history WHERE point = ? AND ts >= ? AND ts < ? ORDER BY ts'),
      bucketed: db.prepare(`
        SELECT MIN(ts) AS ts, AVG(value) AS value, MIN(value) AS min, MAX(value) AS max, MAX(quality LIKE 'Bad%') AS bad
        FROM reading_history WHERE point = ? AND ts >= ? AND ts < ?
        GROUP BY CAST((ts - ?) / ? AS INTEGER) ORDER BY 1`),
      prune: db.prepare('DELETE FROM reading_history WHERE (point, ts) IN (SELECT point, ts FROM reading_history WHERE ts < ? LIMIT ?)'),
    };
  }

  write(rows: readonly HistoryRow[]): void {
    if (rows.length) this.insertMany(rows);
  }

  /** A point's trend over [from, to): every kept reading, or at most about maxPoints bucket means. */
  trend(point: string, from: number, to: number, maxPoints: number): TrendSample[] {
    const n = (this.stmt.count.get(point, from, to) as { n: number }).n;
    if (n <= maxPoints) {
      return (this.stmt.raw.all(point, from, to) as { ts: number; value: number | null; quality: string }[]).map((r) => ({ ts: r.ts, value: r.value, min: r.value, max: r.value, bad: r.quality.startsWith('Bad') }));
    }
    const bucket = Math.max(1, Math.ceil((to - from) / maxPoints));
    return (this.stmt.bucketed.all(point, from, to, from, bucket) as { ts: number; value: number | null; min: number | null; max: number | null; bad: number }[]).map((r) => ({ ...r, bad: r.bad === 1 }));
  }

  /** Deletes up to `limit` readings older than `before`; returns how many. */
  pruneStep(before: number, limit = 5000): number {
    return this.stmt.prune.run(before, limit).changes;
  }
}
