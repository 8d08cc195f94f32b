import { migrate, type Db, type Migration } from '../../store/database.js';
import { decodeChunk, emptySamples, type ChunkRow, type Samples } from './chunks.js';

export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    // Released: one row per reading. No longer written; read and pruned until its rows age out.
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
  {
    // One row per point and chunk (about a minute of samples, see chunks.ts). Rows are appended in
    // time order, so the table grows at its end; the two small indexes find a point's chunks and
    // the chunks old enough to prune.
    id: 'history-002',
    sql: `
      CREATE TABLE history_chunk (
        id INTEGER PRIMARY KEY,
        point TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        n INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE INDEX history_chunk_point ON history_chunk (point, "end");
      CREATE INDEX history_chunk_end ON history_chunk ("end");
    `,
  },
];

/** One sample of a trend: the mean of a bucket with its extremes (or one reading when not bucketed). */
export interface TrendSample {
  ts: number;
  value: number | null;
  min: number | null;
  max: number | null;
  /** Worst quality in the bucket is Bad (the trend shows a gap or a mark). */
  bad: boolean;
}

/** history_chunk (and the released reading_history): batched chunk writes, trends, pruning in steps. */
export class HistoryStore {
  private readonly insertMany;
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, HISTORY_MIGRATIONS);
    const insert = db.prepare('INSERT INTO history_chunk (point, start, "end", n, data) VALUES (?, ?, ?, ?, ?)');
    this.insertMany = db.transaction((rows: Iterable<ChunkRow>) => {
      for (const r of rows) insert.run(r.point, r.start, r.end, r.n, r.data);
    });
    this.stmt = {
      chunks: db.prepare('SELECT data FROM history_chunk WHERE point = ? AND "end" >= ? AND start < ? ORDER BY start'),
      legacy: db.prepare('SELECT ts, value, quality FROM reading_history WHERE point = ? AND ts >= ? AND ts < ? ORDER BY ts'),
      prune: db.prepare('DELETE FROM history_chunk WHERE id IN (SELECT id FROM history_chunk WHERE "end" < ? LIMIT ?)'),
      pruneLegacy: db.prepare('DELETE FROM reading_history WHERE (point, ts) IN (SELECT point, ts FROM reading_history WHERE ts < ? LIMIT ?)'),
    };
  }

  /** Writes chunks in one transaction (an array, or rows made one at a time as they are written). */
  write(rows: Iterable<ChunkRow>): void {
    if (!Array.isArray(rows) || rows.length > 0) this.insertMany(rows);
  }

  /** A point's stored samples in [from, to), in time order. */
  samples(point: string, from: number, to: number): Samples {
    const out = emptySamples();
    for (const r of this.stmt.legacy.iterate(point, from, to) as Iterable<{ ts: number; value: number | null; quality: string }>) {
      out.ts.push(r.ts);
      out.value.push(r.value);
      out.bad.push(r.quality.startsWith('Bad'));
    }
    for (const r of this.stmt.chunks.iterate(point, from, to) as Iterable<{ data: Buffer }>) decodeChunk(r.data, from, to, out);
    return out;
  }

  /** A point's trend over [from, to): every sample, or at most about maxPoints bucket means. */
  trend(point: string, from: number, to: number, maxPoints: number, unwritten?: Samples): TrendSample[] {
    const s = this.samples(point, from, to);
    if (unwritten) {
      for (let i = 0; i < unwritten.ts.length; i++) {
        s.ts.push(unwritten.ts[i]!);
        s.value.push(unwritten.value[i]!);
        s.bad.push(unwritten.bad[i]!);
      }
    }
    return trendOf(s, from, to, maxPoints);
  }

  /** Deletes up to `limit` chunks (and released per-reading rows) older than `before`; returns how many. */
  pruneStep(before: number, limit = 5000): number {
    const chunks = this.stmt.prune.run(before, limit).changes;
    return chunks + (chunks < limit ? this.stmt.pruneLegacy.run(before, limit - chunks).changes : 0);
  }
}

/**
 * Samples in time order as a trend: each sample when there are at most maxPoints, else means of
 * buckets of ceil((to − from) / maxPoints) ms with their minimum, maximum and whether any sample was
 * Bad. Two samples with one timestamp: the later written wins, as a reading written twice would.
 */
export function trendOf(s: Samples, from: number, to: number, maxPoints: number): TrendSample[] {
  const order = timeOrder(s.ts);
  if (order.length <= maxPoints) {
    return order.map((i) => ({ ts: s.ts[i]!, value: s.value[i]!, min: s.value[i]!, max: s.value[i]!, bad: s.bad[i]! }));
  }
  const bucket = Math.max(1, Math.ceil((to - from) / maxPoints));
  const out: TrendSample[] = [];
  let key = NaN;
  let cur: TrendSample | undefined;
  let sum = 0;
  let count = 0;
  const close = () => {
    if (cur) {
      cur.value = count > 0 ? sum / count : null;
      out.push(cur);
    }
  };
  for (const i of order) {
    const k = Math.floor((s.ts[i]! - from) / bucket);
    if (k !== key) {
      close();
      key = k;
      cur = { ts: s.ts[i]!, value: null, min: null, max: null, bad: false };
      sum = 0;
      count = 0;
    }
    const v = s.value[i]!;
    if (v !== null) {
      sum += v;
      count++;
      if (cur!.min === null || v < cur!.min) cur!.min = v;
      if (cur!.max === null || v > cur!.max) cur!.max = v;
    }
    if (s.bad[i]) cur!.bad = true;
  }
  close();
  return out;
}

/** Indexes of the samples in time order, the last of equal timestamps only. */
function timeOrder(ts: readonly number[]): number[] {
  const idx = ts.map((_, i) => i);
  let sorted = true;
  for (let i = 1; i < ts.length && sorted; i++) sorted = ts[i]! > ts[i - 1]!;
  if (sorted) return idx;
  idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
  return idx.filter((i, k) => k + 1 === idx.length || ts[idx[k + 1]!] !== ts[i]);
}
