import { statfsSync } from 'node:fs';

/** SQLite result codes that mean the storage, not the statement, failed. */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

/** True when a database write failed because of the disk (full, I/O error, read-only). */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (STORAGE_CODES.test(code) || code === 'ENOSPC' || code === 'EIO' || code === 'EROFS')) return true;
  return err instanceof Error && /database or disk is full|disk I\/O error/.test(err.message);
}

/** Free bytes for unprivileged writes on the filesystem of `path`, or undefined if unknown. */
export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Why a storage write failed, for logs and the storage alarm: "disk full at <path>" when the
 * filesystem has (next to) no room left, since SQLite often reports a full disk as a bare I/O error.
 */
export function describeStorageFailure(err: unknown, path: string): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const free = freeBytes(path);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || (free !== undefined && free < 64 * 1024)) return `disk full at ${path}`;
  const message = err instanceof Error ? err.message : String(err);
  return `${typeof code === 'string' ? code : 'storage error'} at ${path}: ${message}`;
}
