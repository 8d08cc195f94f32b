import { z } from 'zod';
import { alarmEventSchema, type AlarmEvent, type AlarmState } from '../core/alarm-event.js';
import { migrate, type Db, type Migration } from '../store/database.js';
import type { Metrics } from '../core/metrics.js';
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
  {
    // Each event row carries the status it leads to, so an event is one row in one commit; the
    // alarm_state table becomes a snapshot written in batches, complete up to alarm_state_mark.seq.
    // The ts index cost a page write per event on the hot path; the KPI report scans instead.
    id: 'alarms-002',
    sql: `
      ALTER TABLE alarm_events ADD COLUMN status TEXT;
      DROP INDEX alarm_events_ts;
      CREATE TABLE alarm_state_mark (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
      INSERT INTO alarm_state_mark (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM alarm_events;
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
  shelvedBy: z.string().optional(),
  assignedTo: z.string().optional(),
});

/** How long a changed alarm status may wait before the snapshot table is brought up to date. */
const SNAPSHOT_INTERVAL_MS = 1000;
/** Rows deleted per step of a prune; steps yield to the event loop so alarms never wait long. */
const PRUNE_CHUNK = 2000;

interface DirtyStatus {
  seq: number;
  state: AlarmState;
  status: string;
}

function persistedJson(status: AlarmStatus): string {
  const persisted: PersistedAlarm = {
    facts: status.facts,
    value: status.value,
    ts: status.ts,
    ...(status.limit !== undefined ? { limit: status.limit } : {}),
    ...(status.activeSince !== undefined ? { activeSince: status.activeSince } : {}),
    ...(status.shelvedUntil !== undefined ? { shelvedUntil: status.shelvedUntil } : {}),
    ...(status.ackedAt !== undefined ? { ackedAt: status.ackedAt } : {}),
    ...(status.shelvedBy !== undefined ? { shelvedBy: status.shelvedBy } : {}),
    ...(status.assignedTo !== undefined ? { assignedTo: status.assignedTo } : {}),
  };
  return JSON.stringify(persisted);
}

/**
 * The alarm journal in SQLite: every event with the status it leads to, and the audit log. An event
 * is one row committed before it is published (with its audit entry, in one transaction), so after
 * kill -9 the journal holds every published event once. Seq continues from the highest journaled seq.
 *
 * Current statuses are restored from a snapshot table plus the events after it: writing the snapshot
 * row with every event doubled the pages each commit writes, the journal's main cost in an alarm
 * flood. The snapshot is brought up to date in one transaction at most a second after a change, and
 * on close.
 */
export class SqliteAlarmJournal implements AlarmJournal {
  private seq: number;
  private readonly insertEvent;
  private readonly upsertState;
  private readonly insertAudit;
  private readonly writeWithAudit;
  private readonly writeSnapshot;
  private readonly prune;
  private readonly dirty = new Map<string, DirtyStatus>();
  private snapshotTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private pruning = false;

  constructor(
    private readonly db: Db,
    /** Where the commit time of each event is recorded (gateway_journal_commit_duration_seconds). */
    private readonly metrics?: Metrics,
  ) {
    migrate(db, ALARM_MIGRATIONS);
    this.seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM alarm_events').get() as { seq: number }).seq;
    this.insertEvent = db.prepare('INSERT INTO alarm_events (seq, ts, alarm_id, event, status) VALUES (?, ?, ?, ?, ?)');
    this.upsertState = db.prepare(
      'INSERT INTO alarm_state (alarm_id, seq, state, status) VALUES (?, ?, ?, ?) ON CONFLICT(alarm_id) DO UPDATE SET seq = excluded.seq, state = excluded.state, status = excluded.status',
    );
    const setMark = db.prepare('UPDATE alarm_state_mark SET seq = ? WHERE id = 1');
    this.insertAudit = db.prepare(
      'INSERT INTO audit_log (seq, ts, user, action, alarm_id, reason, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeWithAudit = db.transaction((event: AlarmEvent, status: string, audit: AuditEntry) => {
      this.insertEvent.run(event.seq, event.ts, event.alarmId, JSON.stringify(event), status);
      this.insertAudit.run(event.seq, audit.ts, audit.user, audit.action, audit.alarmId, audit.reason ?? null, audit.before, audit.after);
    });
    this.writeSnapshot = db.transaction((rows: Iterable<[string, DirtyStatus]>, upTo: number) => {
      for (const [alarmId, d] of rows) this.upsertState.run(alarmId, d.seq, d.state, d.status);
      setMark.run(upTo);
    });
    this.prune = {
      firstKept: db.prepare('SELECT seq FROM alarm_events WHERE ts >= ? ORDER BY seq LIMIT 1'),
      events: db.prepare('DELETE FROM alarm_events WHERE seq IN (SELECT seq FROM alarm_events WHERE seq < ? AND seq NOT IN (SELECT seq FROM alarm_state) LIMIT ?)'),
      audit: db.prepare('DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE ts < ? ORDER BY id LIMIT ?)'),
    };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  record(event: AlarmEvent, status: AlarmStatus, audit?: AuditEntry): void {
    const started = this.metrics ? performance.now() : 0;
    const persisted = persistedJson(status);
    if (audit) this.writeWithAudit(event, persisted, audit);
    else this.insertEvent.run(event.seq, event.ts, event.alarmId, JSON.stringify(event), persisted);
    this.metrics?.observe('journal_commit_duration_seconds', (performance.now() - started) / 1000);
    this.dirty.set(event.alarmId, { seq: event.seq, state: status.state, status: persisted });
    this.snapshotTimer ??= setTimeout(() => this.flushLater(), SNAPSHOT_INTERVAL_MS).unref();
  }

  /**
   * The timed flush. The events are already safe, so a failed snapshot write (disk full) only makes a
   * restart read more of them: keep the changes and try again later; a failing event write is what
   * reports the problem. A database closed without close() (tests) just ends it.
   */
  private flushLater(): void {
    this.snapshotTimer = undefined;
    if (!this.db.open) return;
    try {
      this.flushSnapshot();
    } catch {
      this.snapshotTimer = setTimeout(() => this.flushLater(), SNAPSHOT_INTERVAL_MS).unref();
    }
  }

  /** Brings the snapshot of current statuses up to the latest event. */
  flushSnapshot(): void {
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    if (this.dirty.size === 0) return;
    this.writeSnapshot(this.dirty, this.seq);
    this.dirty.clear();
  }

  close(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    if (this.db.open) this.flushSnapshot();
  }

  /**
   * Deletes up to `limit` events and audit entries older than `before` (ms since epoch); returns how
   * many. The latest event of every alarm stays whatever its age: it is the alarm's retained state
   * after a restart, and it keeps seq continuing from the highest ever written. Events are taken in
   * seq order up to the first one at or after `before`, so an event stamped early by a device clock
   * stays until the events around it go.
   */
  pruneStep(before: number, limit = PRUNE_CHUNK): { events: number; audit: number } {
    this.flushSnapshot();
    const first = this.prune.firstKept.get(before) as { seq: number } | undefined;
    const below = first?.seq ?? this.seq + 1;
    return { events: this.prune.events.run(below, limit).changes, audit: this.prune.audit.run(before, limit).changes };
  }

  /**
   * Keeps the journal and audit log to `retentionMs`: prunes now and then every `intervalMs`, in
   * steps that yield to the event loop. `done` hears what each complete prune removed.
   */
  startRetention(retentionMs: number, done: (removed: { events: number; audit: number }) => void = () => undefined, intervalMs = 3_600_000): void {
    const pruneAll = () => {
      if (this.pruning || !this.db.open) return;
      this.pruning = true;
      const before = Date.now() - retentionMs;
      const total = { events: 0, audit: 0 };
      const step = () => {
        if (!this.db.open) return void (this.pruning = false);
        const r = this.pruneStep(before);
        total.events += r.events;
        total.audit += r.audit;
        if (r.events === PRUNE_CHUNK || r.audit === PRUNE_CHUNK) return void setImmediate(step);
        this.pruning = false;
        done(total);
      };
      step();
    };
    pruneAll();
    this.retentionTimer = setInterval(pruneAll, intervalMs).unref();
  }

  restore(): Map<string, PersistedAlarm> {
    const out = new Map<string, PersistedAlarm>();
    const put = (alarmId: string, status: string, event: string | null) => {
      const parsed = persistedSchema.safeParse(JSON.parse(status));
      if (!parsed.success) return;
      const ev = event ? alarmEventSchema.safeParse(JSON.parse(event)) : undefined;
      out.set(alarmId, { ...parsed.data, ...(ev?.success ? { lastEvent: ev.data } : {}) });
    };
    const snapshot = this.db.prepare('SELECT s.alarm_id, s.status, e.event FROM alarm_state s LEFT JOIN alarm_events e ON e.seq = s.seq').all() as { alarm_id: string; status: string; event: string | null }[];
    for (const row of snapshot) put(row.alarm_id, row.status, row.event);
    // Events the snapshot had not caught up with when the gateway stopped (or was killed).
    const mark = (this.db.prepare('SELECT seq FROM alarm_state_mark WHERE id = 1').get() as { seq: number }).seq;
    const tail = this.db.prepare('SELECT seq, alarm_id, event, status FROM alarm_events WHERE seq > ? AND status IS NOT NULL ORDER BY seq').all(mark) as { seq: number; alarm_id: string; event: string; status: string }[];
    for (const row of tail) {
      put(row.alarm_id, row.status, row.event);
      const state = out.get(row.alarm_id)?.lastEvent?.state;
      if (state) this.dirty.set(row.alarm_id, { seq: row.seq, state, status: row.status });
    }
    this.flushSnapshot();
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
