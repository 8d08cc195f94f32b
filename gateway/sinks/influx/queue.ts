import type { Db, Migration } from '../../store/database.js';
import { migrate } from '../../store/database.js';
import { isStorageError } from '../../store/storage-errors.js';

export const INFLUX_QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'influx-queue-001',
    sql: `
      CREATE TABLE influx_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        body TEXT NOT NULL
      );
    `,
  },
];

export interface QueuedBatch {
  id: number;
  createdAt: number;
  lines: number;
  body: string;
}

/**
 * Batches of line protocol waiting for the database to come back, oldest first. A disk that refuses
 * writes (full) never throws out of it: push() refuses the batch, and `storageError` holds why.
 */
export class InfluxQueue {
  private readonly stmt;
  private lineCount = 0;
  private batchCount = 0;
  /** The disk's error while it refuses writes, undefined when the last write succeeded. */
  storageError: unknown;

  constructor(private readonly db: Db) {
    migrate(db, INFLUX_QUEUE_MIGRATIONS);
    this.stmt = {
      insert: db.prepare('INSERT INTO influx_queue (created_at, lines, body) VALUES (?, ?, ?)'),
      head: db.prepare('SELECT id, created_at AS createdAt, lines, body FROM influx_queue ORDER BY id LIMIT 1'),
      oldest: db.prepare('SELECT MIN(created_at) AS t FROM influx_queue'),
      remove: db.prepare('DELETE FROM influx_queue WHERE id = ? RETURNING lines'),
      totals: db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(lines), 0) AS l FROM influx_queue'),
      expire: db.prepare('DELETE FROM influx_queue WHERE created_at < ? RETURNING lines'),
      dropOldest: db.prepare('DELETE FROM influx_queue WHERE id = (SELECT MIN(id) FROM influx_queue) RETURNING lines'),
    };
    const t = this.stmt.totals.get() as { n: number; l: number };
    this.batchCount = t.n;
    this.lineCount = t.l;
  }

  /** Queues a batch; false when the disk refused it (the caller counts the lines as lost). */
  push(lines: string[], now: number): boolean {
    if (lines.length === 0) return true;
    if (!this.tryWrite(() => this.stmt.insert.run(now, lines.length, lines.join('\n')))) return false;
    this.batchCount++;
    this.lineCount += lines.length;
    return true;
  }

  private tryWrite(write: () => void): boolean {
    try {
      write();
    } catch (err) {
      if (!isStorageError(err)) throw err;
      this.storageError = err;
      return false;
    }
    this.storageError = undefined;
    return true;
  }

  /** When the oldest queued batch was made (ms since epoch), or undefined when the queue is empty. */
  oldestCreatedAt(): number | undefined {
    if (this.batchCount === 0) return undefined;
    return (this.stmt.oldest.get() as { t: number | null }).t ?? undefined;
  }

  head(): QueuedBatch | undefined {
    return this.stmt.head.get() as QueuedBatch | undefined;
  }

  /** Removes a written batch; false when the disk refused the delete (it stays queued). */
  remove(id: number): boolean {
    let rows: { lines: number }[] = [];
    if (!this.tryWrite(() => (rows = this.stmt.remove.all(id) as { lines: number }[]))) return false;
    for (const r of rows) {
      this.batchCount--;
      this.lineCount -= r.lines;
    }
    return true;
  }

  /** Drops batches older than maxAge, then oldest batches while over maxLines; returns lines dropped. */
  enforce(maxLines: number, maxAge: number, now: number): number {
    let dropped = 0;
    const drop = (rows: { lines: number }[]): void => {
      for (const r of rows) {
        this.batchCount--;
        this.lineCount -= r.lines;
        dropped += r.lines;
      }
    };
    const before = { lines: this.lineCount, batches: this.batchCount };
    const ok = this.tryWrite(() =>
      this.db.transaction(() => {
        drop(this.stmt.expire.all(now - maxAge) as { lines: number }[]);
        while (this.lineCount > maxLines && this.batchCount > 0) drop(this.stmt.dropOldest.all() as { lines: number }[]);
      })(),
    );
    if (ok) return dropped;
    // Rolled back: nothing was removed.
    this.lineCount = before.lines;
    this.batchCount = before.batches;
    return 0;
  }

  get lines(): number {
    return this.lineCount;
  }

  get batches(): number {
    return this.batchCount;
  }
}
