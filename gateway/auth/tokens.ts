import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { migrate, type Db, type Migration } from '../store/database.js';
import { notifyAuthChange } from './auth-changes.js';

export const TOKEN_MIGRATIONS: readonly Migration[] = [
  {
    id: 'api-tokens-001',
    sql: `
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        label TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        last_used INTEGER,
        revoked_at INTEGER
      );
    `,
  },
];

export interface ApiTokenInfo {
  id: string;
  user: string;
  label: string;
  createdAt: number;
  createdBy: string;
  lastUsed: number | null;
  revokedAt: number | null;
}

interface Row {
  id: string;
  user: string;
  label: string;
  hash: string;
  created_at: number;
  created_by: string;
  last_used: number | null;
  revoked_at: number | null;
}

const TOKEN_RE = /^gwt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function info(r: Row): ApiTokenInfo {
  return { id: r.id, user: r.user, label: r.label, createdAt: r.created_at, createdBy: r.created_by, lastUsed: r.last_used, revokedAt: r.revoked_at };
}

/**
 * API tokens for machine clients (`Authorization: Bearer gwt_<id>_<secret>`, or as the MQTT password
 * with the token's user as the MQTT user name). A token acts as its
 * user (role and areas read at each request). Only a SHA-256 of the 256-bit secret is stored (a
 * random secret needs no slow hash); the token is shown once, when created. Revoked tokens stay
 * listed, for the audit.
 */
export class ApiTokenStore {
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, TOKEN_MIGRATIONS);
    this.stmt = {
      insert: db.prepare('INSERT INTO api_tokens (id, user, label, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM api_tokens WHERE id = ?'),
      list: db.prepare('SELECT * FROM api_tokens ORDER BY created_at'),
      used: db.prepare('UPDATE api_tokens SET last_used = ? WHERE id = ?'),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUser: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL'),
    };
  }

  create(user: string, label: string, createdBy: string): { token: string; info: ApiTokenInfo } {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    this.stmt.insert.run(id, user, label, hashSecret(secret).toString('base64'), this.now(), createdBy);
    return { token: `gwt_${id}_${secret}`, info: this.get(id)! };
  }

  get(id: string): ApiTokenInfo | undefined {
    const r = this.stmt.get.get(id) as Row | undefined;
    return r ? info(r) : undefined;
  }

  list(): ApiTokenInfo[] {
    return (this.stmt.list.all() as Row[]).map(info);
  }

  /** The token's user when the token is valid and not revoked. */
  verify(token: string): { id: string; user: string } | undefined {
    const m = TOKEN_RE.exec(token);
    if (!m) return undefined;
    const r = this.stmt.get.get(m[1]) as Row | undefined;
    if (!r || r.revoked_at !== null) return undefined;
    const stored = Buffer.from(r.hash, 'base64');
    const given = hashSecret(m[2]!);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    const now = this.now();
    if (r.last_used === null || now - r.last_used > 60_000) this.stmt.used.run(now, r.id);
    return { id: r.id, user: r.user };
  }

  /** Revokes a token; sessions opened with it (MQTT) end at once (auth-changes.ts). */
  revoke(id: string): boolean {
    const revoked = this.stmt.revoke.run(this.now(), id).changes > 0;
    const user = revoked ? this.get(id)?.user : undefined;
    if (user !== undefined) notifyAuthChange(this.db, user);
    return revoked;
  }

  revokeUser(user: string): number {
    const n = this.stmt.revokeUser.run(this.now(), user).changes;
    if (n > 0) notifyAuthChange(this.db, user);
    return n;
  }
}
