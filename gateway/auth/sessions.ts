import { createHash, randomBytes } from 'node:crypto';
import { migrate, type Db, type Migration } from '../store/database.js';

export const SESSION_MIGRATIONS: readonly Migration[] = [
  {
    id: 'sessions-001',
    sql: `
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX sessions_user ON sessions (user);
    `,
  },
];

export interface SessionOptions {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after login whatever its use. */
  absoluteMs: number;
  /** Clock (tests move it). */
  now?: () => number;
}

export interface Session {
  user: string;
  /** The double-submit token the browser sends back in X-CSRF-Token on every write. */
  csrf: string;
  createdAt: number;
  lastSeen: number;
  /** When it ends if unused (idle) or at the latest (absolute). */
  expiresAt: number;
}

interface Row {
  id_hash: string;
  user: string;
  csrf: string;
  created_at: number;
  last_seen: number;
}

/** Only a hash of the session id is stored: a copy of the database does not log anyone in. */
function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** last_seen is written at most this often per session: a busy console must not write per request. */
const TOUCH_EVERY_MS = 15_000;

/**
 * Server-side login sessions in SQLite (table sessions of gateway.db). The browser holds only a
 * random 256-bit id in an HttpOnly cookie; the server keeps its hash, the user, a CSRF token and the
 * times that drive the idle and absolute timeouts. Logout, a password change or disabling a user
 * deletes the rows, which ends the session at the next request.
 */
export class SessionStore {
  private readonly now: () => number;
  private readonly stmt;

  constructor(
    db: Db,
    private readonly options: SessionOptions,
  ) {
    migrate(db, SESSION_MIGRATIONS);
    this.now = options.now ?? Date.now;
    this.stmt = {
      insert: db.prepare('INSERT INTO sessions (id_hash, user, csrf, created_at, last_seen, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT id_hash, user, csrf, created_at, last_seen FROM sessions WHERE id_hash = ?'),
      touch: db.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      removeUser: db.prepare('DELETE FROM sessions WHERE user = ?'),
      expire: db.prepare('DELETE FROM sessions WHERE last_seen < ? OR created_at < ?'),
      count: db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user = ?'),
    };
  }

  /** Starts a session; returns the id for the cookie (never stored) and the session. */
  create(user: string, meta: { ip?: string; userAgent?: string } = {}): { id: string; session: Session } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = this.now();
    this.stmt.insert.run(hashId(id), user, csrf, now, now, meta.ip ?? null, meta.userAgent?.slice(0, 200) ?? null);
    return { id, session: this.toSession({ id_hash: '', user, csrf, created_at: now, last_seen: now }) };
  }

  /** The live session for a cookie id (and marks it used), or undefined when unknown or expired. */
  get(id: string): Session | undefined {
    if (!id || id.length > 100) return undefined;
    const key = hashId(id);
    const row = this.stmt.get.get(key) as Row | undefined;
    if (!row) return undefined;
    const now = this.now();
    if (now - row.last_seen > this.options.idleMs || now - row.created_at > this.options.absoluteMs) {
      this.stmt.remove.run(key);
      return undefined;
    }
    if (now - row.last_seen >= TOUCH_EVERY_MS || now < row.last_seen) {
      this.stmt.touch.run(now, key);
      row.last_seen = now;
    }
    return this.toSession(row);
  }

  /** Logout. */
  destroy(id: string): void {
    this.stmt.remove.run(hashId(id));
  }

  /** Ends every session of a user (password changed, disabled, removed). */
  destroyUser(user: string): number {
    return this.stmt.removeUser.run(user).changes;
  }

  /** Deletes expired rows (on each login; the table stays small). */
  sweep(): void {
    const now = this.now();
    this.stmt.expire.run(now - this.options.idleMs, now - this.options.absoluteMs);
  }

  countFor(user: string): number {
    return (this.stmt.count.get(user) as { n: number }).n;
  }

  private toSession(row: Row): Session {
    return {
      user: row.user,
      csrf: row.csrf,
      createdAt: row.created_at,
      lastSeen: row.last_seen,
      expiresAt: Math.min(row.last_seen + this.options.idleMs, row.created_at + this.options.absoluteMs),
    };
  }
}
