import { z } from 'zod';
import { alarmEventSchema, type AlarmEvent, type AlarmState } from '../core/alarm-event.js';
import { migrate, type Db, type Migration } from '../store/database.js';
import type { Metrics } from '../core/metrics.js';
import { isStorageError } from '../store/storage-errors.js';
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
  {
    // Rows that could not be read back at start-up, moved aside with the reason (never deleted).
    id: 'alarms-003',
    sql: `
      CREATE TABLE journal_quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, row_key TEXT NOT NULL, seq INTEGER,
        content TEXT NOT NULL, reason TEXT NOT NULL, quarantined_at INTEGER NOT NULL
      );
    `,
  },
];

/** A journal row that could not be read back: which table, which row, and why. */
export interface QuarantinedRow {
  table: 'alarm_events' | 'alarm_state';
  /** seq of an event row, alarm id of a state row. */
  key: string;
  alarmId: string;
  reason: string;
}

/** What the journal tells its owner about its storage: undefined when writes succeed again. */
export interface JournalStorageListener {
  (failure: { error: unknown; held: number; dropped: number } | undefined): void;
}

export interface SqliteJournalOptions {
  /** Where the commit time of each event is recorded (gateway_journal_commit_duration_seconds). */
  metrics?: Metrics;
  /** Events held in memory while the database cannot be written; beyond it the oldest are dropped. */
  maxHeld?: number;
  /** How often held events are retried. */
  retryMs?: number;
  onStorage?: JournalStorageListener;
}

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

interface HeldEvent {
  event: AlarmEvent;
  state: AlarmState;
  status: string;
  audit: AuditEntry | undefined;
}

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
  /** Events not yet written because the database refused them (disk full), oldest first. */
  private held: HeldEvent[] = [];
  private droppedHeld = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly maxHeld: number;
  private readonly retryMs: number;
  private readonly quarantine;
  /** Rows restore() set aside. */
  readonly quarantined: QuarantinedRow[] = [];

  constructor(
    private readonly db: Db,
    private readonly options: SqliteJournalOptions = {},
  ) {
    migrate(db, ALARM_MIGRATIONS);
    this.maxHeld = options.maxHeld ?? 100_000;
    this.retryMs = options.retryMs ?? 1000;
    // Seq never goes back: not even below a quarantined event or the snapshot mark.
    this.seq = (
      db
        .prepare(
          "SELECT MAX(COALESCE((SELECT MAX(seq) FROM alarm_events), 0), COALESCE((SELECT MAX(seq) FROM journal_quarantine), 0), COALESCE((SELECT seq FROM alarm_state_mark WHERE id = 1), 0)) AS seq",
        )
        .get() as { seq: number }
    ).seq;
    this.quarantine = {
      insert: db.prepare('INSERT INTO journal_quarantine (table_name, row_key, seq, content, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteEvent: db.prepare('DELETE FROM alarm_events WHERE seq = ?'),
      deleteState: db.prepare('DELETE FROM alarm_state WHERE alarm_id = ?'),
      latestEvent: db.prepare('SELECT seq, event, status FROM alarm_events WHERE alarm_id = ? AND status IS NOT NULL ORDER BY seq DESC LIMIT 1'),
    };
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

  /**
   * Journals an event. When the database cannot be written (disk full, I/O error) the event is held
   * in memory, in order, and journaled when writes succeed again; the caller publishes it either way,
   * so the plant keeps being annunciated. Any other error (a bug) is thrown.
   */
  record(event: AlarmEvent, status: AlarmStatus, audit?: AuditEntry): void {
    const started = this.options.metrics ? performance.now() : 0;
    const persisted = persistedJson(status);
    if (this.held.length > 0) return this.hold({ event, state: status.state, status: persisted, audit });
    try {
      this.write(event, persisted, audit);
      this.options.metrics?.observe('journal_commit_duration_seconds', (performance.now() - started) / 1000);
    } catch (err) {
      if (!isStorageError(err)) throw err;
      this.hold({ event, state: status.state, status: persisted, audit });
      this.options.onStorage?.({ error: err, held: this.held.length, dropped: this.droppedHeld });
      return;
    }
    this.dirty.set(event.alarmId, { seq: event.seq, state: status.state, status: persisted });
    this.snapshotTimer ??= setTimeout(() => this.flushLater(), SNAPSHOT_INTERVAL_MS).unref();
  }

  private write(event: AlarmEvent, persisted: string, audit: AuditEntry | undefined): void {
    if (audit) this.writeWithAudit(event, persisted, audit);
    else this.insertEvent.run(event.seq, event.ts, event.alarmId, JSON.stringify(event), persisted);
  }

  private hold(h: HeldEvent): void {
    this.held.push(h);
    if (this.held.length > this.maxHeld) {
      this.held.shift();
      this.droppedHeld++;
    }
    this.retryTimer ??= setTimeout(() => this.retryHeld(), this.retryMs).unref();
  }

  /** Events waiting for the database to accept writes again. */
  get heldEvents(): number {
    return this.held.length;
  }

  /** Held events dropped, oldest first, because more than maxHeld were waiting. */
  get droppedEvents(): number {
    return this.droppedHeld;
  }

  /** Writes the held events in seq order, a chunk per transaction; true when none are left. */
  writeHeld(): boolean {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.db.open) return this.held.length === 0;
    const wasHeld = this.held.length > 0;
    try {
      while (this.held.length > 0) {
        const chunk = this.held.slice(0, 500);
        this.db.transaction(() => {
          for (const h of chunk) this.write(h.event, h.status, h.audit);
        })();
        this.held.splice(0, chunk.length);
        for (const h of chunk) this.dirty.set(h.event.alarmId, { seq: h.event.seq, state: h.state, status: h.status });
      }
    } catch (err) {
      if (!isStorageError(err)) throw err;
      this.options.onStorage?.({ error: err, held: this.held.length, dropped: this.droppedHeld });
      this.retryTimer = setTimeout(() => this.retryHeld(), this.retryMs).unref();
      return false;
    }
    if (wasHeld) {
      this.snapshotTimer ??= setTimeout(() => this.flushLater(), SNAPSHOT_INTERVAL_MS).unref();
      this.options.onStorage?.(undefined);
    }
    return true;
  }

  private retryHeld(): void {
    this.retryTimer = undefined;
    this.writeHeld();
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
    // Complete up to the last journaled event: held ones are not in the journal yet.
    this.writeSnapshot(this.dirty, this.held.length > 0 ? this.held[0]!.event.seq - 1 : this.seq);
    this.dirty.clear();
  }

  /** Writes what it can back; events the disk still refuses are lost with the process (reported). */
  close(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    if (!this.db.open) return;
    this.writeHeld();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      this.flushSnapshot();
    } catch (err) {
      if (!isStorageError(err)) throw err;
    }
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
        let r: { events: number; audit: number };
        try {
          r = this.pruneStep(before);
        } catch (err) {
          // A full disk refuses deletes too; the next interval tries again.
          this.pruning = false;
          if (isStorageError(err)) return;
          throw err;
        }
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

  /**
   * Alarm statuses saved by the previous run. A row that cannot be read back (broken JSON, a status
   * that does not fit the schema) is moved to journal_quarantine and listed in `quarantined`; its
   * alarm falls back to its latest readable event, and every other alarm is restored as saved.
   */
  restore(): Map<string, PersistedAlarm> {
    const out = new Map<string, PersistedAlarm>();
    const now = Date.now();
    const setAside = (table: QuarantinedRow['table'], key: string, alarmId: string, seq: number | null, content: string, reason: string) => {
      this.db.transaction(() => {
        this.quarantine.insert.run(table, key, seq, content, reason, now);
        if (table === 'alarm_events') this.quarantine.deleteEvent.run(seq);
        else this.quarantine.deleteState.run(alarmId);
      })();
      this.quarantined.push({ table, key, alarmId, reason });
    };
    /** The saved alarm a status and event row describe, or why they cannot be read. */
    const read = (status: string, event: string | null): PersistedAlarm | string => {
      const parsed = persistedSchema.safeParse(parseJson(status));
      if (!parsed.success) return `status: ${describeIssue(status, parsed.error)}`;
      if (event === null) return parsed.data;
      const ev = alarmEventSchema.safeParse(parseJson(event));
      if (!ev.success) return `event: ${describeIssue(event, ev.error)}`;
      return { ...parsed.data, lastEvent: ev.data };
    };
    /** The latest readable event of an alarm, quarantining unreadable ones on the way down. */
    const fromLatestEvent = (alarmId: string): PersistedAlarm | undefined => {
      for (;;) {
        const row = this.quarantine.latestEvent.get(alarmId) as { seq: number; event: string; status: string } | undefined;
        if (!row) return undefined;
        const saved = read(row.status, row.event);
        if (typeof saved !== 'string') return saved;
        setAside('alarm_events', String(row.seq), alarmId, row.seq, JSON.stringify(row), saved);
      }
    };
    const snapshot = this.db.prepare('SELECT s.alarm_id, s.seq, s.state, s.status, e.event FROM alarm_state s LEFT JOIN alarm_events e ON e.seq = s.seq').all() as { alarm_id: string; seq: number; state: string; status: string; event: string | null }[];
    for (const row of snapshot) {
      const status = read(row.status, null);
      const saved = typeof status === 'string' ? status : read(row.status, row.event);
      if (typeof saved !== 'string') {
        out.set(row.alarm_id, saved);
        continue;
      }
      // A broken event row goes aside as itself; the state row pointing at it goes with it.
      if (typeof status !== 'string') setAside('alarm_events', String(row.seq), row.alarm_id, row.seq, JSON.stringify({ seq: row.seq, event: row.event }), saved);
      setAside('alarm_state', row.alarm_id, row.alarm_id, null, JSON.stringify(row), typeof status === 'string' ? status : `its event ${row.seq} is unreadable`);
      const fallback = fromLatestEvent(row.alarm_id);
      if (fallback) out.set(row.alarm_id, fallback);
    }
    // Events the snapshot had not caught up with when the gateway stopped (or was killed).
    const mark = (this.db.prepare('SELECT seq FROM alarm_state_mark WHERE id = 1').get() as { seq: number }).seq;
    const tail = this.db.prepare('SELECT seq, alarm_id, event, status FROM alarm_events WHERE seq > ? AND status IS NOT NULL ORDER BY seq').all(mark) as { seq: number; alarm_id: string; event: string; status: string }[];
    for (const row of tail) {
      const saved = read(row.status, row.event);
      if (typeof saved === 'string') {
        setAside('alarm_events', String(row.seq), row.alarm_id, row.seq, JSON.stringify(row), saved);
        continue;
      }
      out.set(row.alarm_id, saved);
      if (saved.lastEvent) this.dirty.set(row.alarm_id, { seq: row.seq, state: saved.lastEvent.state, status: row.status });
    }
    this.flushSnapshot();
    return out;
  }

  /** Events in seq order, optionally from a time on; unreadable rows are skipped. */
  events(fromTs = 0): AlarmEvent[] {
    return (this.db.prepare('SELECT event FROM alarm_events WHERE ts >= ? ORDER BY seq').all(fromTs) as { event: string }[]).flatMap((r) => {
      const ev = alarmEventSchema.safeParse(parseJson(r.event));
      return ev.success ? [ev.data] : [];
    });
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

/** JSON.parse that returns undefined for broken text (the schema then names the problem). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeIssue(text: string, error: z.ZodError): string {
  if (parseJson(text) === undefined) return 'not valid JSON';
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
