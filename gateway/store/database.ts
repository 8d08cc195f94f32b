import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/**
 * A schema change owned by one module (alarm journal, uplink queue, …). Migrations run once each,
 * in the order given, inside a transaction; `id` must never change once released.
 */
export interface Migration {
  id: string;
  sql: string;
}

export interface OpenOptions {
  /**
   * FULL (default): a commit survives kill -9 and power loss, at one fsync (about 1 ms here) per
   * commit. NORMAL: in WAL mode a commit still survives kill -9 (the OS holds the write) but the last
   * commits may be lost on power loss; it costs about 30 µs, for hot paths such as the alarm journal.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** false: no automatic WAL checkpoints on this connection; a Checkpointer does them off-thread. */
  autoCheckpoint?: boolean;
}

/**
 * Page cache per connection, in KiB (SQLite's own default). better-sqlite3 builds SQLite with 16 MB,
 * and a connection's cache grows with the database up to that: with three connections on a growing
 * gateway.db the process's memory rose for hours (found by the soak as 5 KB jemalloc regions, one per
 * cached page). The hot pages (the tree's spine, the newest leaves, the alarm table) fit in 2 MB many
 * times over; the rest is in the OS's file cache.
 */
export const PAGE_CACHE_KIB = 2000;

/** Opens (a connection to) the gateway's one SQLite database, in WAL mode. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  const insert = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.id, Date.now());
    })();
  }
}
