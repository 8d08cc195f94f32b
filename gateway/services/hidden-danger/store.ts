import { migrate, type Db, type Migration } from '../../store/database.js';
import { sqlFilter } from '../../store/sql-filter.js';
import type { HiddenDangerState } from '../../core/hidden-danger.js';
import { hiddenDangerRecordSchema, type HiddenDangerRecord, type TransitionKind } from './record.js';

export const HIDDEN_DANGER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'hidden-danger-001',
    sql: `
      CREATE TABLE hd_record (
        no INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        revision INTEGER NOT NULL,
        state TEXT NOT NULL,
        level TEXT NOT NULL,
        area TEXT NOT NULL,
        src TEXT NOT NULL,
        deadline INTEGER,
        state_since INTEGER NOT NULL,
        regist_time INTEGER NOT NULL,
        closed_at INTEGER,
        sent_revision INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL
      );
      CREATE INDEX hd_record_state ON hd_record (state);
      CREATE INDEX hd_record_deadline ON hd_record (deadline) WHERE state IN ('registered', 'assessed', 'rectifying');
      -- Links of records to alarms; one open record per alarm id (the dispatch dedup key).
      CREATE TABLE hd_alarm (
        record_id TEXT NOT NULL REFERENCES hd_record (id),
        alarm_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        open INTEGER NOT NULL,
        PRIMARY KEY (record_id, alarm_id)
      );
      CREATE UNIQUE INDEX hd_alarm_open ON hd_alarm (alarm_id) WHERE open = 1;
      -- The journal and audit of every change: who, when, the state before and after, the fields changed.
      CREATE TABLE hd_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL REFERENCES hd_record (id),
        revision INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        user TEXT NOT NULL,
        kind TEXT NOT NULL,
        before_state TEXT,
        after_state TEXT NOT NULL,
        comment TEXT,
        changes TEXT NOT NULL,
        UNIQUE (record_id, revision)
      );
      CREATE TABLE hd_photo (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES hd_record (id),
        phase TEXT NOT NULL,
        file TEXT NOT NULL,
        mime TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        uploaded_by TEXT NOT NULL,
        ts INTEGER NOT NULL
      );
      CREATE INDEX hd_photo_record ON hd_photo (record_id);
      -- Reminders and escalation stages already sent, so each goes once (also across restarts).
      CREATE TABLE hd_notice (
        record_id TEXT NOT NULL REFERENCES hd_record (id),
        key TEXT NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (record_id, key)
      );
      -- Warnings from above: one record per warning id; the feedback states already queued upstream.
      CREATE TABLE hd_warning (
        warning_id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES hd_record (id),
        received_at INTEGER NOT NULL,
        feedback_sent TEXT NOT NULL DEFAULT ''
      );
    `,
  },
];

export interface HistoryEntry {
  id: number;
  recordId: string;
  revision: number;
  ts: number;
  user: string;
  kind: TransitionKind;
  beforeState: HiddenDangerState | null;
  afterState: HiddenDangerState;
  comment: string | null;
  /** Field → [before, after] of every field the change touched. */
  changes: Record<string, [unknown, unknown]>;
}

/** What the deadline check needs of a record, straight from the indexed columns. */
export interface DeadlineRow {
  id: string;
  state: HiddenDangerState;
  level: 'general' | 'major';
  deadline: number;
  stateSince: number;
}

export interface SummaryRow {
  state: HiddenDangerState;
  level: 'general' | 'major';
  area: string;
  deadline: number | null;
  registTime: number;
  closedAt: number | null;
}

export interface PhotoRow {
  id: string;
  recordId: string;
  phase: 'before' | 'after';
  file: string;
  mime: string;
  bytes: number;
  uploadedBy: string;
  ts: number;
}

export interface ListFilter {
  state?: readonly HiddenDangerState[] | undefined;
  level?: string | undefined;
  area?: string | undefined;
  /** Open = not closed. */
  open?: boolean | undefined;
  limit?: number | undefined;
}

/** Refused changes: the API answers 409 (state) or 403 (role). */
export class HiddenDangerError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 = 409,
  ) {
    super(message);
  }
}

export interface ChangeOptions {
  comment?: string | undefined;
  /** A reminder / escalation key recorded in the same transaction (sent once). */
  notice?: string | undefined;
  /** An alarm linked in the same transaction. */
  linkAlarm?: string | undefined;
  photo?: PhotoRow | undefined;
}

export interface Change {
  before: HiddenDangerRecord | undefined;
  after: HiddenDangerRecord;
  entry: HistoryEntry;
}

interface HistoryRow {
  id: number;
  record_id: string;
  revision: number;
  ts: number;
  user: string;
  kind: string;
  before_state: string | null;
  after_state: string;
  comment: string | null;
  changes: string;
}

/** Beijing time (UTC+8) date, for record numbers and "this month". */
function cnDate(ts: number): string {
  return new Date(ts + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

function diff(before: HiddenDangerRecord | undefined, after: HiddenDangerRecord): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  for (const k of keys) {
    if (k === 'revision' || k === 'updatedAt' || k === 'updatedBy') continue;
    const b = (before as Record<string, unknown> | undefined)?.[k];
    const a = (after as Record<string, unknown>)[k];
    if (JSON.stringify(b) !== JSON.stringify(a)) out[k] = [b ?? null, a ?? null];
  }
  return out;
}

/**
 * The hidden-danger records in SQLite (tables hd_*). Every change is one transaction that writes the
 * record's new document and its history row (user, time, state before and after, changed fields), so
 * a change the caller saw return is on disk (the connection commits with fsync: ctx.queueDb()), and
 * a change that did not return left nothing half-done.
 */
export class HiddenDangerStore {
  private readonly noticeQuery;
  private readonly candidatesQuery;
  private readonly candidateNoticesQuery;

  constructor(private readonly db: Db) {
    migrate(db, HIDDEN_DANGER_MIGRATIONS);
    this.noticeQuery = db.prepare('SELECT 1 FROM hd_notice WHERE record_id = ? AND key = ?');
    const candidates = "FROM hd_record WHERE state IN ('registered', 'assessed', 'rectifying') AND deadline IS NOT NULL AND deadline <= ?";
    this.candidatesQuery = db.prepare(`SELECT id, state, level, deadline, state_since AS stateSince ${candidates} ORDER BY no`);
    this.candidateNoticesQuery = db.prepare(`SELECT record_id || '|' || key AS k FROM hd_notice WHERE record_id IN (SELECT id ${candidates})`);
  }

  get(id: string): HiddenDangerRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM hd_record WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? hiddenDangerRecordSchema.parse(JSON.parse(row.doc)) : undefined;
  }

  list(f: ListFilter = {}): HiddenDangerRecord[] {
    const { where, args } = sqlFilter([
      ['level = ?', f.level],
      ['area = ?', f.area],
      // open: not closed; open === false: closed only.
      [f.open === false ? 'state = ?' : 'state <> ?', f.open === undefined ? undefined : 'closed'],
    ]);
    const states = f.state?.length ? f.state : undefined;
    const stateClause = states ? ` AND state IN (${states.map(() => '?').join(', ')})` : '';
    const rows = this.db.prepare(`SELECT doc FROM hd_record WHERE ${where}${stateClause} ORDER BY no DESC LIMIT ?`).all(...args, ...(states ?? []), f.limit ?? 1000) as { doc: string }[];
    return rows.map((r) => hiddenDangerRecordSchema.parse(JSON.parse(r.doc)));
  }

  /** The open record linked to this alarm, if any (the dedup key). */
  openRecordForAlarm(alarmId: string): string | undefined {
    return (this.db.prepare('SELECT record_id FROM hd_alarm WHERE alarm_id = ? AND open = 1').get(alarmId) as { record_id: string } | undefined)?.record_id;
  }

  /** Open records linked to alarms, by alarm id. */
  openAlarmLinks(): Map<string, string> {
    const rows = this.db.prepare('SELECT alarm_id, record_id FROM hd_alarm WHERE open = 1').all() as { alarm_id: string; record_id: string }[];
    return new Map(rows.map((r) => [r.alarm_id, r.record_id]));
  }

  recordForWarning(warningId: string): string | undefined {
    return (this.db.prepare('SELECT record_id FROM hd_warning WHERE warning_id = ?').get(warningId) as { record_id: string } | undefined)?.record_id;
  }

  /**
   * Creates a record (state `registered`, revision 1). Its alarms are linked as open; when one of them
   * already has an open record the creation is refused (the caller links to that record instead).
   */
  create(fields: Omit<HiddenDangerRecord, 'id' | 'revision' | 'state' | 'stateSince' | 'updatedAt' | 'updatedBy' | 'rejections'>, options: { warningId?: string | undefined; comment?: string | undefined } = {}): Change {
    return this.db.transaction((): Change => {
      const no = ((this.db.prepare('SELECT MAX(no) AS n FROM hd_record').get() as { n: number | null }).n ?? 0) + 1;
      const id = `YH${cnDate(fields.registTime)}-${String(no).padStart(4, '0')}`;
      const after = hiddenDangerRecordSchema.parse({ ...fields, id, revision: 1, state: 'registered', stateSince: fields.registTime, rejections: 0, updatedAt: fields.registTime, updatedBy: fields.registrant });
      for (const alarmId of after.alarmIds) {
        const existing = this.openRecordForAlarm(alarmId);
        if (existing) throw new HiddenDangerError(`报警 ${alarmId} 已有未销号的隐患 ${existing} [an open record exists for this alarm]`);
      }
      this.db
        .prepare('INSERT INTO hd_record (no, id, revision, state, level, area, src, deadline, state_since, regist_time, doc) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(no, id, after.state, after.dangerLevel, after.area, after.dangerSrc, after.dangerManageDeadline ?? null, after.stateSince, after.registTime, JSON.stringify(after));
      const link = this.db.prepare('INSERT INTO hd_alarm (record_id, alarm_id, linked_at, open) VALUES (?, ?, ?, 1)');
      for (const alarmId of after.alarmIds) link.run(id, alarmId, after.registTime);
      if (options.warningId !== undefined) this.db.prepare('INSERT INTO hd_warning (warning_id, record_id, received_at) VALUES (?, ?, ?)').run(options.warningId, id, after.registTime);
      const entry = this.insertHistory(undefined, after, 'register', options.comment);
      return { before: undefined, after, entry };
    })();
  }

  /**
   * Changes a record in one transaction: `patch` sees the current record and returns the fields to
   * change (or throws HiddenDangerError to refuse). The revision goes up by one.
   */
  change(id: string, kind: TransitionKind, user: string, ts: number, patch: (r: HiddenDangerRecord) => Partial<HiddenDangerRecord>, options: ChangeOptions = {}): Change {
    return this.db.transaction((): Change => {
      const before = this.get(id);
      if (!before) throw new HiddenDangerError(`没有该隐患 [no such hidden-danger record] "${id}"`, 404);
      if (options.notice !== undefined && this.hasNotice(id, options.notice)) throw new HiddenDangerError(`already sent: ${options.notice}`);
      const fields = patch(before);
      const alarmIds = options.linkAlarm !== undefined && !before.alarmIds.includes(options.linkAlarm) ? [...before.alarmIds, options.linkAlarm] : before.alarmIds;
      const next = { ...before, alarmIds, ...fields, revision: before.revision + 1, updatedAt: ts, updatedBy: user };
      if (next.state !== before.state) next.stateSince = ts;
      const after = hiddenDangerRecordSchema.parse(next);
      this.db
        .prepare('UPDATE hd_record SET revision = ?, state = ?, level = ?, area = ?, deadline = ?, state_since = ?, closed_at = ?, doc = ? WHERE id = ?')
        .run(after.revision, after.state, after.dangerLevel, after.area, after.dangerManageDeadline ?? null, after.stateSince, after.closedAt ?? null, JSON.stringify(after), id);
      if (options.linkAlarm !== undefined) {
        this.db.prepare('INSERT INTO hd_alarm (record_id, alarm_id, linked_at, open) VALUES (?, ?, ?, 1) ON CONFLICT (record_id, alarm_id) DO UPDATE SET open = 1').run(id, options.linkAlarm, ts);
      }
      if (after.state === 'closed') this.db.prepare('UPDATE hd_alarm SET open = 0 WHERE record_id = ?').run(id);
      if (options.notice !== undefined) this.db.prepare('INSERT INTO hd_notice (record_id, key, ts) VALUES (?, ?, ?)').run(id, options.notice, ts);
      const p = options.photo;
      if (p) this.db.prepare('INSERT INTO hd_photo (id, record_id, phase, file, mime, bytes, uploaded_by, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(p.id, id, p.phase, p.file, p.mime, p.bytes, p.uploadedBy, p.ts);
      const entry = this.insertHistory(before, after, kind, options.comment);
      return { before, after, entry };
    })();
  }

  private insertHistory(before: HiddenDangerRecord | undefined, after: HiddenDangerRecord, kind: TransitionKind, comment: string | undefined): HistoryEntry {
    const changes = diff(before, after);
    const r = this.db
      .prepare('INSERT INTO hd_history (record_id, revision, ts, user, kind, before_state, after_state, comment, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(after.id, after.revision, after.updatedAt, after.updatedBy, kind, before?.state ?? null, after.state, comment ?? null, JSON.stringify(changes));
    return { id: Number(r.lastInsertRowid), recordId: after.id, revision: after.revision, ts: after.updatedAt, user: after.updatedBy, kind, beforeState: before?.state ?? null, afterState: after.state, comment: comment ?? null, changes };
  }

  history(id: string): HistoryEntry[] {
    const rows = this.db.prepare('SELECT * FROM hd_history WHERE record_id = ? ORDER BY revision').all(id) as HistoryRow[];
    return rows.map((r) => ({
      id: r.id,
      recordId: r.record_id,
      revision: r.revision,
      ts: r.ts,
      user: r.user,
      kind: r.kind as TransitionKind,
      beforeState: r.before_state as HiddenDangerState | null,
      afterState: r.after_state as HiddenDangerState,
      comment: r.comment,
      changes: JSON.parse(r.changes) as Record<string, [unknown, unknown]>,
    }));
  }

  hasNotice(id: string, key: string): boolean {
    return this.noticeQuery.get(id, key) !== undefined;
  }

  /**
   * Records whose deadline runs (registered, assessed, rectifying) and falls before `before`: the
   * index columns only, so the minute's deadline check parses no document it does not change.
   */
  deadlineCandidates(before: number): DeadlineRow[] {
    return this.candidatesQuery.all(before) as DeadlineRow[];
  }

  /** Every record's state, level, area and times from the indexed columns (statistics without parsing documents). */
  summaryRows(): SummaryRow[] {
    return this.db.prepare('SELECT state, level, area, deadline, regist_time AS registTime, closed_at AS closedAt FROM hd_record').all() as SummaryRow[];
  }

  /** The notices already sent to those candidates, as "<record id>|<key>" (one query instead of one per record and stage). */
  candidateNotices(before: number): Set<string> {
    const rows = this.candidateNoticesQuery.all(before) as { k: string }[];
    return new Set(rows.map((r) => r.k));
  }

  photos(id: string): PhotoRow[] {
    const rows = this.db.prepare('SELECT * FROM hd_photo WHERE record_id = ? ORDER BY ts, id').all(id) as { id: string; record_id: string; phase: string; file: string; mime: string; bytes: number; uploaded_by: string; ts: number }[];
    return rows.map((r) => ({ id: r.id, recordId: r.record_id, phase: r.phase as 'before' | 'after', file: r.file, mime: r.mime, bytes: r.bytes, uploadedBy: r.uploaded_by, ts: r.ts }));
  }

  photo(recordId: string, photoId: string): PhotoRow | undefined {
    return this.photos(recordId).find((p) => p.id === photoId);
  }

  /** Records whose latest revision has not been handed to the uplink (after a crash between commit and send). */
  unsent(): HiddenDangerRecord[] {
    const rows = this.db.prepare('SELECT doc FROM hd_record WHERE sent_revision < revision ORDER BY no').all() as { doc: string }[];
    return rows.map((r) => hiddenDangerRecordSchema.parse(JSON.parse(r.doc)));
  }

  markSent(id: string, revision: number): void {
    this.db.prepare('UPDATE hd_record SET sent_revision = MAX(sent_revision, ?) WHERE id = ?').run(revision, id);
  }

  /** One warning and the feedback states already queued for it. */
  warning(warningId: string): { warningId: string; recordId: string; sent: string[] } | undefined {
    const r = this.db.prepare('SELECT warning_id, record_id, feedback_sent FROM hd_warning WHERE warning_id = ?').get(warningId) as { warning_id: string; record_id: string; feedback_sent: string } | undefined;
    return r ? { warningId: r.warning_id, recordId: r.record_id, sent: r.feedback_sent ? r.feedback_sent.split(',') : [] } : undefined;
  }

  /** Records of warnings whose feedback is not complete (answered not yet queued): what a start must look at. */
  warningsAwaitingFeedback(): { warningId: string; recordId: string }[] {
    return (this.db.prepare("SELECT warning_id, record_id FROM hd_warning WHERE ',' || feedback_sent || ',' NOT LIKE '%,answered,%'").all() as { warning_id: string; record_id: string }[]).map((r) => ({ warningId: r.warning_id, recordId: r.record_id }));
  }

  markFeedback(warningId: string, state: string): void {
    const row = this.db.prepare('SELECT feedback_sent FROM hd_warning WHERE warning_id = ?').get(warningId) as { feedback_sent: string } | undefined;
    if (!row) return;
    const sent = new Set(row.feedback_sent ? row.feedback_sent.split(',') : []);
    sent.add(state);
    this.db.prepare('UPDATE hd_warning SET feedback_sent = ? WHERE warning_id = ?').run([...sent].join(','), warningId);
  }
}
