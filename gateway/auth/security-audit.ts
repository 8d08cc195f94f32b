import { migrate, type Db, type Migration } from '../store/database.js';
import { sqlFilter } from '../store/sql-filter.js';

export const SECURITY_AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'security-audit-001',
    sql: `
      CREATE TABLE security_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        address TEXT,
        ok INTEGER NOT NULL
      );
      CREATE INDEX security_audit_ts ON security_audit (ts);
    `,
  },
];

/** Logins, logouts, refused logins, user and token changes: the audit of what is not an alarm action. */
export interface SecurityAuditEntry {
  id: number;
  ts: number;
  user: string;
  action: string;
  target: string | null;
  detail: string | null;
  address: string | null;
  ok: boolean;
}

interface Row extends Omit<SecurityAuditEntry, 'ok'> {
  ok: number;
}

/**
 * The security audit log (table security_audit of gateway.db). Alarm actions are audited by the
 * alarm journal (audit_log, in the same transaction as their event); this log holds the rest.
 */
export class SecurityAudit {
  private readonly insert;
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, SECURITY_AUDIT_MIGRATIONS);
    this.insert = db.prepare('INSERT INTO security_audit (ts, user, action, target, detail, address, ok) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(e: { user: string; action: string; target?: string | undefined; detail?: string | undefined; address?: string | undefined; ok?: boolean }): void {
    this.insert.run(this.now(), e.user, e.action, e.target ?? null, e.detail?.slice(0, 500) ?? null, e.address ?? null, e.ok === false ? 0 : 1);
  }

  list(q: { from?: number | undefined; to?: number | undefined; user?: string | undefined; before?: number | undefined; limit: number }): SecurityAuditEntry[] {
    const { where, args } = sqlFilter([
      ['ts >= ?', q.from],
      ['ts < ?', q.to],
      ['user = ?', q.user],
      ['id < ?', q.before],
    ]);
    const rows = this.db.prepare(`SELECT * FROM security_audit WHERE ${where} ORDER BY id DESC LIMIT ?`).all(...args, q.limit) as Row[];
    return rows.map((r) => ({ ...r, ok: r.ok !== 0 }));
  }
}
