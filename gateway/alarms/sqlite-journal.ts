import { z } from 'zod';
import { alarmEventSchema, type AlarmEvent, type AlarmState } from '../core/alarm-event.js';
import { migrate, type Db, type Migration } from '../store/database.js';
import type { AlarmJournal, AlarmStatus, AuditEntry, PersistedAlarm } from './alarm-manager.js';

export const ALARM_MIGRATIONS: readonly Migration[] = [
  {
    id: 'alarms-001',
    sql: `
      CREATE TABLE alarm_events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alarm_id TEXT NOT NULL, event TEXT NOT NULL);
      CREATE INDEX alarm_events_ts ON alarm_events (ts);
      CREATE TABLE alarm_state (alarm_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL,
        action TEXT NOT NULL, alarm_id TEXT NOT NULL, reason TEXT, before_state TEXT NOT NULL, after_state TEXT NOT NULL
      );
      CREATE INDEX audit_log_ts ON audit_log (ts);
    `,
  },
];

const persistedSchema = z.object({
  facts: z.object({
    active: z.boolean(),
    acked: z.boolean(),
    latched: z.boolean(),
    shelved: z.boolean(),
    suppressed: z.boolean(),
    outOfService: z.boolean(),
  }),
  value: z.union([z.number(), z.boolean(), z.null()]),
  limit: z.number().optional(),
  ts: z.number(),
  activeSince: z.number().optional(),
  shelvedUntil: z.number().optional(),
  ackedAt: z.number().optional(),
});

/**
 * The alarm journal in SQLite: every event, the current status of every alarm and the audit log, each
 * event written in one transaction with the status it leads to, so a restart after kill -9 finds the
 * journal and the states consistent. Seq continues from the highest journaled seq.
 */
export class SqliteAlarmJournal implements AlarmJournal {
  private seq: number;
  private readonly insertEvent;
  private readonly upsertState;
  private readonly insertAudit;
  private readonly write;

  constructor(private readonly db: Db) {
    migrate(db, ALARM_MIGRATIONS);
    this.seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM alarm_events').get() as { seq: number }).seq;
    this.insertEvent = db.prepare('INSERT INTO alarm_events (seq, ts, alarm_id, event) VALUES (?, ?, ?, ?)');
    this.upsertState = db.prepare(
      'INSERT INTO alarm_state (alarm_id, seq, state, status) VALUES (?, ?, ?, ?) ON CONFLICT(alarm_id) DO UPDATE SET seq = excluded.seq, state = excluded.state, status = excluded.status',
    );
    this.insertAudit = db.prepare(
      'INSERT INTO audit_log (seq, ts, user, action, alarm_id, reason, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.write = db.transaction((event: AlarmEvent, status: AlarmStatus, audit: AuditEntry | undefined) => {
      this.insertEvent.run(event.seq, event.ts, event.alarmId, JSON.stringify(event));
      const persisted: PersistedAlarm = {
        facts: status.facts,
        value: status.value,
        ts: status.ts,
        ...(status.limit !== undefined ? { limit: status.limit } : {}),
        ...(status.activeSince !== undefined ? { activeSince: status.activeSince } : {}),
        ...(status.shelvedUntil !== undefined ? { shelvedUntil: status.shelvedUntil } : {}),
        ...(status.ackedAt !== undefined ? { ackedAt: status.ackedAt } : {}),
      };
      this.upsertState.run(event.alarmId, event.seq, status.state, JSON.stringify(persisted));
      if (audit) this.insertAudit.run(event.seq, audit.ts, audit.user, audit.action, audit.alarmId, audit.reason ?? null, audit.before, audit.after);
    });
  }

  nextSeq(): number {
    return ++this.seq;
  }

  record(event: AlarmEvent, status: AlarmStatus, audit?: AuditEntry): void {
    this.write(event, status, audit);
  }

  restore(): Map<string, PersistedAlarm> {
    const out = new Map<string, PersistedAlarm>();
    const rows = this.db.prepare('SELECT s.alarm_id, s.status, e.event FROM alarm_state s LEFT JOIN alarm_events e ON e.seq = s.seq').all() as { alarm_id: string; status: string; event: string | null }[];
    for (const row of rows) {
      const parsed = persistedSchema.safeParse(JSON.parse(row.status));
      if (!parsed.success) continue;
      const event = row.event ? alarmEventSchema.safeParse(JSON.parse(row.event)) : undefined;
      out.set(row.alarm_id, { ...parsed.data, ...(event?.success ? { lastEvent: event.data } : {}) });
    }
    return out;
  }

  /** Events in seq order, optionally from a time on. */
  events(fromTs = 0): AlarmEvent[] {
    return (this.db.prepare('SELECT event FROM alarm_events WHERE ts >= ? ORDER BY seq').all(fromTs) as { event: string }[]).map((r) => alarmEventSchema.parse(JSON.parse(r.event)));
  }

  auditLog(fromTs = 0): (AuditEntry & { seq: number })[] {
    return (
      this.db.prepare('SELECT seq, ts, user, action, alarm_id, reason, before_state, after_state FROM audit_log WHERE ts >= ? ORDER BY id').all(fromTs) as {
        seq: number;
        ts: number;
        user: string;
        action: AuditEntry['action'];
        alarm_id: string;
        reason: string | null;
        before_state: AlarmState;
        after_state: AlarmState;
      }[]
    ).map((r) => ({ seq: r.seq, ts: r.ts, user: r.user, action: r.action, alarmId: r.alarm_id, before: r.before_state, after: r.after_state, ...(r.reason !== null ? { reason: r.reason } : {}) }));
  }
}
