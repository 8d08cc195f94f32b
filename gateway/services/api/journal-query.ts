import { alarmEventSchema, type AlarmEvent } from '../../core/alarm-event.js';
import type { OperatorAction } from '../../alarms/alarm-manager.js';
import { migrate, type Db } from '../../store/database.js';
import { sqlFilter } from '../../store/sql-filter.js';

/**
 * What a journal row is: an operator action (from the audit log joined on seq), or, without one,
 * the condition becoming active (ALARM) or clear (RETURN) or another state change (STATE).
 */
export const EVENT_KINDS = ['ALARM', 'RETURN', 'STATE', 'ACK', 'SHELVE', 'UNSHELVE', 'OUT_OF_SERVICE', 'IN_SERVICE', 'COMMENT', 'ASSIGN', 'SILENCE'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type JournalEvent = AlarmEvent & { kind: EventKind };

export interface JournalFilter {
  from?: number | undefined;
  to?: number | undefined;
  alarmId?: string | undefined;
  point?: string | undefined;
  user?: string | undefined;
  kind?: EventKind | undefined;
  /** Keyset cursor: events with a lower seq (the next page, newest first). */
  before?: number | undefined;
  /** Events with a higher seq, oldest first (SSE replay). */
  after?: number | undefined;
  limit: number;
}

const KIND_SQL = `CASE WHEN a.action IS NOT NULL THEN a.action
  WHEN instr(e.event, '"user":') > 0 THEN 'STATE'
  WHEN json_extract(e.event, '$.active') = 1 AND json_extract(e.event, '$.state') IN ('UNACK', 'LATCHED_UNACK') THEN 'ALARM'
  WHEN json_extract(e.event, '$.active') = 0 AND json_extract(e.event, '$.state') IN ('NORMAL', 'RTN_UNACK', 'LATCHED_UNACK', 'LATCHED_ACKED') THEN 'RETURN'
  ELSE 'STATE' END`;

/** Events for a KPI report over [from, to), with each alarm's events since it was last NORMAL (as `kpi` reads them). */
const KPI_EVENTS_SQL = `
  WITH last_normal AS (
    SELECT alarm_id, MAX(seq) AS seq FROM alarm_events
    WHERE ts < @from AND instr(event, '"state":"NORMAL"') > 0
    GROUP BY alarm_id)
  SELECT e.event AS event FROM alarm_events e LEFT JOIN last_normal l ON l.alarm_id = e.alarm_id
  WHERE e.ts < @to AND (e.ts >= @from OR e.seq >= COALESCE(l.seq, 0))
  ORDER BY e.seq`;

function parse(text: string): AlarmEvent | undefined {
  try {
    const r = alarmEventSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export interface AuditRow {
  id: number;
  seq: number;
  ts: number;
  user: string;
  action: OperatorAction;
  alarmId: string;
  reason: string | null;
  before: string;
  after: string;
}

/** Read-only queries on the alarm journal (alarm_events, audit_log) for the API. */
export class JournalQuery {
  constructor(private readonly db: Db) {
    // The journal view joins each event to its audit entry by seq; operator actions are rare, so the
    // index costs the alarm path nothing (events without an action never touch audit_log).
    migrate(db, [{ id: 'api-001', sql: 'CREATE INDEX IF NOT EXISTS audit_log_seq ON audit_log (seq);' }]);
  }

  events(f: JournalFilter): JournalEvent[] {
    const where: string[] = ['1 = 1'];
    const args: Record<string, string | number> = { limit: f.limit };
    if (f.from !== undefined) {
      where.push('e.ts >= @from');
      args.from = f.from;
    }
    if (f.to !== undefined) {
      where.push('e.ts < @to');
      args.to = f.to;
    }
    if (f.alarmId !== undefined) {
      where.push('e.alarm_id = @alarmId');
      args.alarmId = f.alarmId;
    }
    if (f.point !== undefined) {
      where.push("json_extract(e.event, '$.point') = @point");
      args.point = f.point;
    }
    if (f.user !== undefined) {
      where.push("json_extract(e.event, '$.user') = @user");
      args.user = f.user;
    }
    if (f.kind !== undefined) {
      where.push(`(${KIND_SQL}) = @kind`);
      args.kind = f.kind;
    }
    if (f.before !== undefined) {
      where.push('e.seq < @before');
      args.before = f.before;
    }
    if (f.after !== undefined) {
      where.push('e.seq > @after');
      args.after = f.after;
    }
    const order = f.after !== undefined ? 'ASC' : 'DESC';
    const sql = `SELECT e.event AS event, ${KIND_SQL} AS kind FROM alarm_events e LEFT JOIN audit_log a ON a.seq = e.seq WHERE ${where.join(' AND ')} ORDER BY e.seq ${order} LIMIT @limit`;
    const out: JournalEvent[] = [];
    for (const row of this.db.prepare(sql).iterate(args) as Iterable<{ event: string; kind: EventKind }>) {
      const ev = parse(row.event);
      if (ev) out.push({ ...ev, kind: row.kind });
    }
    return out;
  }

  /** The highest seq journaled (0 when empty). */
  lastSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM alarm_events').get() as { s: number }).s;
  }

  kpiEvents(from: number, to: number): AlarmEvent[] {
    const out: AlarmEvent[] = [];
    for (const row of this.db.prepare(KPI_EVENTS_SQL).iterate({ from, to }) as Iterable<{ event: string }>) {
      const ev = parse(row.event);
      if (ev) out.push(ev);
    }
    return out;
  }

  audit(q: { from?: number | undefined; to?: number | undefined; user?: string | undefined; alarmId?: string | undefined; before?: number | undefined; limit: number }): AuditRow[] {
    const { where, args } = sqlFilter([
      ['ts >= ?', q.from],
      ['ts < ?', q.to],
      ['user = ?', q.user],
      ['alarm_id = ?', q.alarmId],
      ['id < ?', q.before],
    ]);
    return (
      this.db
        .prepare(`SELECT id, seq, ts, user, action, alarm_id AS alarmId, reason, before_state AS before, after_state AS after FROM audit_log WHERE ${where} ORDER BY id DESC LIMIT ?`)
        .all(...args, q.limit) as AuditRow[]
    );
  }
}

const CSV_COLUMNS = ['seq', 'time', 'kind', 'alarmId', 'point', 'condition', 'severity', 'state', 'active', 'value', 'limit', 'unit', 'message', 'user', 'comment'] as const;

/** One CSV field: quoted when needed; a leading = + - @ is neutralised so a spreadsheet runs no formula. */
export function csvField(v: unknown): string {
  let s = cellText(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A cell's text: a scalar as written, anything structured as JSON (never "[object Object]"). */
function cellText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return v === null ? '' : JSON.stringify(v);
    default:
      return '';
  }
}

function isoLocal(ts: number): string {
  // China Standard Time (UTC+8, no daylight saving): what the plant's clocks and the regulator read.
  return new Date(ts + 8 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '+08:00');
}

export function csvHeader(): string {
  return '\uFEFF' + CSV_COLUMNS.join(',') + '\r\n';
}

export function csvRow(e: JournalEvent): string {
  const values: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> = { ...e, time: isoLocal(e.ts) };
  return CSV_COLUMNS.map((c) => csvField(values[c])).join(',') + '\r\n';
}
