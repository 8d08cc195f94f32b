import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAlarmJournal } from '../alarms/sqlite-journal.js';
import type { Metrics } from '../core/metrics.js';
import type { Logger } from '../core/logger.js';
import { BackupScheduler, checkDatabase } from './backups.js';
import { Checkpointer } from './checkpointer.js';
import { DataDirLock } from './data-dir-lock.js';
import { openDatabase, type Db } from './database.js';
import { describeStorageFailure, isStorageError } from './storage-errors.js';
import { StorageHealth } from './storage-health.js';

export const DB_FILE = 'gateway.db';

/** The gateway refuses to start on this data directory; the message says why and what to do. */
export class StoreRefusedError extends Error {}

/** The command that puts the newest backup back. */
export function recoveryCommand(dataDir: string): string {
  return `npm run gateway -- restore --data-dir ${dataDir}`;
}

/** Makes the data directory readable by its owner only (it holds the audit log). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** gateway.db and its -wal/-shm: owner only. */
function privateFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Checks an existing gateway.db before the gateway uses it: an empty file, one SQLite cannot read or
 * one that fails its integrity check is refused, never replaced by a fresh journal (seq 1, alarm
 * states lost). A new database is made under another name and renamed into place once it has its
 * schema, so a gateway.db this code leaves behind is never empty.
 */
function prepareDatabaseFile(dataDir: string, file: string): void {
  const refuse = (why: string) =>
    new StoreRefusedError(
      `数据库 ${file} ${why}，拒绝启动（不会用空库替换它）[refusing to start on ${file}]。恢复最近的备份: ${recoveryCommand(dataDir)}；或确认不再需要后移走该文件再启动（从空日志开始）`,
    );
  if (!existsSync(file)) {
    const fresh = `${file}.new`;
    rmSync(fresh, { force: true });
    closeSync(openSync(fresh, 'w', 0o600));
    const db = new Database(fresh);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
    } finally {
      db.close();
    }
    renameSync(fresh, file);
    return;
  }
  if (statSync(file).size === 0) throw refuse('为空 (0 字节) [empty file]');
  let problems: string[];
  try {
    problems = checkDatabase(file);
  } catch (err) {
    if (isStorageError(err) && /FULL|IOERR/.test(String((err as { code?: string }).code))) throw refusedOnFullDisk(dataDir, file, err);
    throw refuse(`无法读取 [${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}]`);
  }
  if (problems.length > 0) throw refuse(`完整性检查失败 [PRAGMA quick_check: ${problems.slice(0, 3).join('; ')}]`);
}

function refusedOnFullDisk(dataDir: string, file: string, err: unknown): StoreRefusedError {
  return new StoreRefusedError(`无法打开数据库 ${file} [${describeStorageFailure(err, dataDir)}]：请先释放磁盘空间再启动`);
}

export interface GatewayStoreOptions {
  dataDir: string;
  log: Logger;
  /** Events held in memory while the journal cannot be written. */
  holdEvents: number;
  backup: { intervalMs: number; keep: number };
  /** Opens the second connection the sinks' disk queues use. */
  queues: boolean;
  /** Where the journal records its commit times. */
  metrics?: Metrics;
}

/**
 * The gateway's data directory: its lock, the database (alarm journal, audit log, sink queues), WAL
 * checkpoints, backups, and the storage's diagnostic alarms.
 */
export class GatewayStore {
  readonly health = new StorageHealth();
  readonly journal: SqliteAlarmJournal;
  readonly file: string;
  /** Second connection for the sinks' store-and-forward queues, with fsync per commit (see database.ts). */
  readonly queueDb: Db | undefined;
  /** The journal's connection (synchronous=NORMAL): alarm journal, audit log, users, sessions. */
  readonly db: Db;
  private readonly lock: DataDirLock;
  private readonly checkpointer: Checkpointer;
  private readonly backups: BackupScheduler;

  constructor(private readonly o: GatewayStoreOptions) {
    const dataDir = o.dataDir;
    this.file = join(dataDir, DB_FILE);
    try {
      ensurePrivateDir(dataDir);
      this.lock = DataDirLock.acquire(dataDir);
    } catch (err) {
      if (isStorageError(err)) throw refusedOnFullDisk(dataDir, join(dataDir, 'gateway.lock'), err);
      throw err;
    }
    try {
      prepareDatabaseFile(dataDir, this.file);
      try {
        // The journal's hot path takes synchronous=NORMAL: kill -9 safe, ~30 µs per event (see database.ts).
        this.db = openDatabase(this.file, { synchronous: 'NORMAL', autoCheckpoint: false });
        // A write now: a full disk refuses the start here, with its path, not later inside an alarm.
        this.db.exec('CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), started_at INTEGER NOT NULL)');
        this.db.prepare('INSERT OR REPLACE INTO store_probe (id, started_at) VALUES (1, ?)').run(Date.now());
      } catch (err) {
        if (isStorageError(err)) throw refusedOnFullDisk(dataDir, this.file, err);
        throw err;
      }
      privateFiles(this.file);
      const log = o.log;
      this.journal = new SqliteAlarmJournal(this.db, {
        ...(o.metrics ? { metrics: o.metrics } : {}),
        maxHeld: o.holdEvents,
        onStorage: (failure) => this.journalStorage(failure),
      });
      this.queueDb = o.queues ? openDatabase(this.file, { autoCheckpoint: false }) : undefined;
      let lastCheckpointError = '';
      this.checkpointer = new Checkpointer(this.file, 1000, (m) => {
        // Once per distinct error: a full disk fails every second.
        if (m !== lastCheckpointError) log.warn(`WAL checkpoint: ${m}`);
        lastCheckpointError = m;
      });
      this.backups = new BackupScheduler(this.db, dataDir, {
        ...o.backup,
        onResult: (r) => {
          if ('file' in r) return this.health.backupFailed(undefined);
          const reason = describeStorageFailure(r.error, join(dataDir, 'backups'));
          log.warn(`数据库备份失败 [backup failed]: ${reason}`);
          this.health.backupFailed(reason);
        },
      });
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  private journalStorage(failure: { error: unknown; held: number; dropped: number } | undefined): void {
    if (!failure) {
      this.o.log.info('报警日志恢复写入 [journal writable again]: held events journaled in order');
      this.health.storageFailing(undefined);
      return;
    }
    const reason = describeStorageFailure(failure.error, this.o.dataDir);
    const lost = failure.dropped > 0 ? `, ${failure.dropped} oldest held events dropped` : '';
    if (reason !== this.lastJournalFailure) this.o.log.error(`报警日志写入失败 [journal cannot be written: ${reason}]: ${failure.held} events held in memory${lost}`);
    this.lastJournalFailure = reason;
    this.health.storageFailing(reason, failure.held);
  }
  private lastJournalFailure = '';

  /** Quarantined rows found while restoring alarm states (call after the alarm manager restored). */
  reportRestore(): void {
    const rows = this.journal.quarantined;
    if (rows.length === 0) return;
    for (const r of rows) this.o.log.error(`报警日志损坏行已隔离 [journal row quarantined]: ${this.file} table ${r.table} key ${r.key} (alarm ${r.alarmId}): ${r.reason}`);
    this.health.journalCorrupt(rows);
  }

  start(retention: { ms: number; onPruned: (removed: { events: number; audit: number }) => void }): void {
    this.journal.startRetention(retention.ms, retention.onPruned);
    this.checkpointer.start();
    this.backups.start();
  }

  backupNow(): Promise<string> {
    return this.backups.backupNow();
  }

  /** After the alarm manager closed the journal. */
  async stop(): Promise<void> {
    await this.backups.stop();
    if (this.journal.heldEvents > 0) this.o.log.error(`报警日志: ${this.journal.heldEvents} 条事件无法写入磁盘，随进程丢失 [held events lost at shutdown: disk still refuses writes]`);
    this.db.close();
    this.queueDb?.close();
    await this.checkpointer.stop();
    privateFiles(this.file);
    this.lock.release();
  }
}
