import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './database.js';

export const BACKUP_DIR = 'backups';
const NAME = /^gateway-(\d{8}T\d{6}\d{3}Z)\.db$/;

export interface BackupFile {
  file: string;
  /** When it was taken (from its name). */
  takenAt: Date;
  bytes: number;
}

/** Backups of a data directory, newest first. */
export function listBackups(dataDir: string): BackupFile[] {
  const dir = join(dataDir, BACKUP_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const m = NAME.exec(name);
      if (!m) return [];
      const t = m[1]!;
      const takenAt = new Date(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`);
      return [{ file: join(dir, name), takenAt, bytes: statSync(join(dir, name)).size }];
    })
    .sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
}

/** Problems SQLite finds in a database file ([] when it is sound). */
export function checkDatabase(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length === 0 && (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n === 0) return ['no tables'];
    return problems;
  } finally {
    db.close();
  }
}

/**
 * Online backups: SQLite's backup API copies the live database page by page between events (the
 * gateway keeps running), into backups/gateway-<time>.db (owner-only); the oldest beyond `keep` go.
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly opts: { intervalMs: number; keep: number; onResult: (result: { file: string } | { error: unknown }) => void },
  ) {}

  start(): void {
    // A backup cut short by a kill leaves its .partial behind.
    const dir = join(this.dataDir, BACKUP_DIR);
    if (existsSync(dir)) for (const name of readdirSync(dir)) if (name.endsWith('.db.partial')) rmSync(join(dir, name), { force: true });
    if (this.opts.intervalMs <= 0 || this.opts.keep <= 0) return;
    this.timer = setInterval(() => void this.backupNow().catch(() => undefined), this.opts.intervalMs).unref();
  }

  /** Takes a backup now; resolves with its file. */
  backupNow(): Promise<string> {
    this.running ??= this.take().finally(() => (this.running = undefined));
    return this.running;
  }

  private async take(): Promise<string> {
    const dir = join(this.dataDir, BACKUP_DIR);
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const file = join(dir, `gateway-${stamp}.db`);
    const partial = `${file}.partial`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      await this.db.backup(partial);
      chmodSync(partial, 0o600);
      renameSync(partial, file);
    } catch (error) {
      rmSync(partial, { force: true });
      this.opts.onResult({ error });
      throw error;
    }
    for (const old of listBackups(this.dataDir).slice(this.opts.keep)) rmSync(old.file, { force: true });
    this.opts.onResult({ file });
    return file;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}

/**
 * Puts a backup in place of gateway.db. The current files are kept beside it as
 * gateway.db.before-restore-<time> (and its -wal/-shm), never deleted. The caller holds the data
 * directory lock, so no gateway runs meanwhile.
 */
export function restoreBackup(dataDir: string, backupFile: string): { replacedAs: string | undefined } {
  const problems = checkDatabase(backupFile);
  if (problems.length > 0) throw new Error(`备份 ${backupFile} 不可用 [backup fails its integrity check]: ${problems.slice(0, 3).join('; ')}`);
  const db = join(dataDir, 'gateway.db');
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  let replacedAs: string | undefined;
  if (existsSync(db)) {
    replacedAs = `${db}.before-restore-${stamp}`;
    renameSync(db, replacedAs);
  }
  for (const suffix of ['-wal', '-shm']) if (existsSync(db + suffix)) renameSync(db + suffix, `${replacedAs ?? db}${suffix}`);
  copyFileSync(backupFile, `${db}.restoring`);
  chmodSync(`${db}.restoring`, 0o600);
  renameSync(`${db}.restoring`, db);
  return { replacedAs };
}
