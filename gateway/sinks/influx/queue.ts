import type { Db, Migration } from '../../store/database.js';
import { migrate } from '../../store/database.js';

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

/** Batches of line protocol waiting for the database to come back, oldest first. */
export class InfluxQueue {
  private readonly stmt;
  private lineCount = 0;
  private batchCount = 0;

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

  push(lines: string[], now: number): void {
    if (lines.length === 0) return;
    this.stmt.insert.run(now, lines.length, lines.join('\n'));
    this.batchCount++;
    this.lineCount += lines.length;
  }

  /** When the oldest queued batch was made (ms since epoch), or undefined when the queue is empty. */
  oldestCreatedAt(): number | undefined {
    if (this.batchCount === 0) return undefined;
    return (this.stmt.oldest.get() as { t: number | null }).t ?? undefined;
  }

  head(): QueuedBatch | undefined {
    return this.stmt.head.get() as QueuedBatch | undefined;
  }

  remove(id: number): void {
    for (const r of this.stmt.remove.all(id) as { lines: number }[]) {
      this.batchCount--;
      this.lineCount -= r.lines;
    }
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
    this.db.transaction(() => {
      drop(this.stmt.expire.all(now - maxAge) as { lines: number }[]);
      while (this.lineCount > maxLines && this.batchCount > 0) drop(this.stmt.dropOldest.all() as { lines: number }[]);
    })();
    return dropped;
  }

  get lines(): number {
    return this.lineCount;
  }

  get batches(): number {
    return this.batchCount;
  }
}
