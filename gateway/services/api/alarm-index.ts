import type { AlarmManager } from '../../alarms/alarm-manager.js';
import type { PointRegistry } from '../../core/point-registry.js';
import { asciiJson } from './ascii-json.js';
import { alarmView, isStanding, type AlarmView } from './deps.js';
import { alarmView as alarmViewSchema } from './schemas.js';

/** One standing alarm as the list serves it: the view, its JSON text, and the text search haystack. */
export interface StandingRow {
  view: AlarmView;
  /** The view as the response schema defines it (parsed by it, unknown fields stripped), in ASCII JSON. */
  json: string;
  haystack: string;
}

/** Called when a status does not fit the documented response schema (its row is then sent as it is). */
export type SchemaViolation = (alarmId: string, problem: string) => void;

/**
 * One row, validated against the response schema once, when the alarm changes, instead of the whole
 * list at every request; written as ASCII JSON (ascii-json.ts).
 */
export function standingRow(view: AlarmView, onViolation?: SchemaViolation): StandingRow {
  const checked = alarmViewSchema.safeParse(view);
  if (!checked.success) onViolation?.(view.alarmId, checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return {
    view,
    json: asciiJson(checked.success ? checked.data : view),
    haystack: `${view.message}\n${view.alarmId}\n${view.pointName}\n${view.equipment ?? ''}`.toLowerCase(),
  };
}

const UNACKED = new Set(['UNACK', 'RTN_UNACK', 'LATCHED_UNACK']);

export interface AlarmCounts {
  bySeverity: Record<string, number>;
  byArea: Record<string, number>;
  unacknowledged: number;
  total: number;
}

export function countRows(rows: readonly StandingRow[]): AlarmCounts {
  const bySeverity: Record<string, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
  const byArea: Record<string, number> = {};
  let unacknowledged = 0;
  for (const { view: a } of rows) {
    bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
    byArea[a.area] = (byArea[a.area] ?? 0) + 1;
    if (UNACKED.has(a.state)) unacknowledged++;
  }
  return { bySeverity, byArea, unacknowledged, total: rows.length };
}

/** Severity first, then newest first: the order of the alarm summary. */
const ORDER = (a: StandingRow, b: StandingRow) => b.view.severity - a.view.severity || b.view.ts - a.view.ts;

/**
 * The standing alarms, kept between requests so the alarm list does not rebuild 10,000 statuses and
 * serialise them at every call. At each request only the alarms the manager changed since the last
 * one are rebuilt (AlarmManager.revision / changedSince); a reload that removes alarms or a change of
 * point definitions (names, units) rebuilds all. Each row's JSON is written once, so a list is a
 * filter over cached rows and a join of cached texts.
 */
export class StandingAlarmIndex {
  private readonly rows = new Map<string, StandingRow>();
  private revision = -1;
  private removals = -1;
  private pointsVersion = -1;
  private sortedRows: StandingRow[] | undefined;
  private counts: AlarmCounts | undefined;
  private gen = 0;

  constructor(
    private readonly alarms: AlarmManager,
    private readonly points: PointRegistry,
    private readonly onViolation?: SchemaViolation,
  ) {}

  /** Changes whenever the rows do (responses built from them can be cached under it). */
  get generation(): number {
    this.refresh();
    return this.gen;
  }

  private refresh(): void {
    if (this.alarms.removalCount !== this.removals || this.points.version !== this.pointsVersion) {
      this.rows.clear();
      this.revision = -1;
      this.removals = this.alarms.removalCount;
      this.pointsVersion = this.points.version;
    }
    if (this.alarms.revision === this.revision) return;
    for (const s of this.alarms.changedSince(this.revision)) {
      if (!isStanding(s)) {
        this.rows.delete(s.alarmId);
        continue;
      }
      this.rows.set(s.alarmId, standingRow(alarmView(this.points, s), this.onViolation));
    }
    this.revision = this.alarms.revision;
    this.gen++;
    this.sortedRows = undefined;
    this.counts = undefined;
  }

  /** Every standing alarm in summary order (the same array until something changes: do not modify). */
  sorted(): readonly StandingRow[] {
    this.refresh();
    return (this.sortedRows ??= [...this.rows.values()].sort(ORDER));
  }

  /** Counts of every standing alarm, cached like the rows. */
  allCounts(): AlarmCounts {
    const rows = this.sorted();
    return (this.counts ??= countRows(rows));
  }
}
