import Database from 'better-sqlite3';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The lock file; the kernel lock on it, not its content, is what excludes a second gateway. */
export const LOCK_FILE = 'gateway.lock';
/** Who holds the lock: written after it is taken, for the refusal message. */
export const OWNER_FILE = 'gateway.pid';

const ownerSchema = z.object({ pid: z.number().int(), startedAt: z.string(), host: z.string(), command: z.string() });
export type LockOwner = z.infer<typeof ownerSchema>;

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner | undefined,
  ) {
    const who = owner ? `进程 pid ${owner.pid}（${owner.host}，启动于 ${owner.startedAt}，${owner.command}）` : '另一进程（未留下进程信息）';
    super(`数据目录 ${dataDir} 已被 ${who} 占用 [data directory locked by a running gateway, pid ${owner?.pid ?? 'unknown'}]: 同一数据目录只能运行一个网关；先停止它，或用 --data-dir 指定另一目录`);
  }
}

/**
 * An exclusive lock on a data directory for the life of the process. It is SQLite's own POSIX lock
 * on gateway.lock (BEGIN EXCLUSIVE in exclusive locking mode, never committed): the kernel drops it
 * when the process ends however it ends, so a kill -9 leaves nothing stale to clean up, and a pid that
 * the system has since reused cannot block a restart.
 */
export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly ownerFile: string,
  ) {}

  /** Takes the lock or throws DataDirLockedError naming the process that holds it. */
  static acquire(dataDir: string): DataDirLock {
    const file = join(dataDir, LOCK_FILE);
    // An empty file needs its first page written before BEGIN EXCLUSIVE, which would fail on a full
    // disk: give it one the first time, so later starts take the lock without writing anything.
    if (!existsSync(file) || statSync(file).size === 0) {
      const init = new Database(file, { timeout: 2000 });
      try {
        init.exec('CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY)');
      } finally {
        init.close();
      }
    }
    chmodSync(file, 0o600);
    const db = new Database(file, { timeout: 0 });
    try {
      // No rollback journal: the transaction never writes, and a full disk must not stop the lock.
      db.pragma('journal_mode = OFF');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirLockedError(dataDir, readLockOwner(dataDir));
      throw err;
    }
    const ownerFile = join(dataDir, OWNER_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      host: hostname(),
      command: process.argv.slice(2).join(' ').slice(0, 200),
    };
    try {
      writeFileSync(ownerFile, JSON.stringify(owner) + '\n', { mode: 0o600 });
    } catch {
      // A full disk: the lock holds all the same; a second gateway's message just cannot name us.
      rmSync(ownerFile, { force: true });
    }
    return new DataDirLock(db, ownerFile);
  }

  release(): void {
    if (!this.db.open) return;
    rmSync(this.ownerFile, { force: true });
    this.db.close();
  }
}

/** The process holding the data directory, or undefined when no gateway runs on it. */
export function dataDirHolder(dataDir: string): LockOwner | undefined | 'unknown' {
  try {
    DataDirLock.acquire(dataDir).release();
    return undefined;
  } catch (err) {
    if (err instanceof DataDirLockedError) return err.owner ?? 'unknown';
    throw err;
  }
}

function readLockOwner(dataDir: string): LockOwner | undefined {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
