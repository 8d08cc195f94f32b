import { Subject, asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { ALARM_DEFAULTS } from '../core/alarm-defaults.js';
import { isAnnunciated, type AlarmEvent, type AlarmState } from '../core/alarm-event.js';
import type { ReadingValue } from '../core/reading.js';
import type { AlarmDefinition, ConditionUpdate } from '../../rules/condition.js';
import { alarmState, NORMAL_FACTS, type AlarmFacts } from './alarm-state.js';
import { alarmMessage } from './messages.js';
import { FloodTracker, type FloodOptions } from './flood.js';

/** What the manager needs to know of a point to write a message. */
export interface PointInfo {
  name: string;
  unit: string;
  equipment?: string | undefined;
  area: string;
}

/** Current state of one alarm, as the console and the HMI list it. */
export interface AlarmStatus {
  alarmId: string;
  point: string;
  condition: string;
  severity: AlarmDefinition['severity'];
  area: string;
  unit: string;
  state: AlarmState;
  facts: AlarmFacts;
  value: ReadingValue;
  limit?: number | undefined;
  message: string;
  /** The standard and clause the alarm enforces (its definition's basis), shown with it. */
  basis?: string | undefined;
  /** Time of the latest state change. */
  ts: number;
  /** When the current activation began (undefined when not active). */
  activeSince?: number | undefined;
  shelvedUntil?: number | undefined;
  /** When the current activation was acknowledged (drives re-alarm). */
  ackedAt?: number | undefined;
  /** Who shelved it (a supervisor may unshelve others' shelves; an operator only their own). */
  shelvedBy?: string | undefined;
  /** Who said "I'm on it" (cleared when the alarm returns to normal). */
  assignedTo?: string | undefined;
  /** The horn was silenced for the current activation (not an acknowledgement). */
  silenced?: boolean | undefined;
}

/** What survives a restart of one alarm. */
export interface PersistedAlarm {
  facts: AlarmFacts;
  value: ReadingValue;
  limit?: number | undefined;
  ts: number;
  activeSince?: number | undefined;
  shelvedUntil?: number | undefined;
  ackedAt?: number | undefined;
  shelvedBy?: string | undefined;
  assignedTo?: string | undefined;
  /** The alarm's latest event, republished as its retained MQTT state after a restart. */
  lastEvent?: AlarmEvent | undefined;
}

export type OperatorAction = 'ACK' | 'SHELVE' | 'UNSHELVE' | 'OUT_OF_SERVICE' | 'IN_SERVICE' | 'COMMENT' | 'ASSIGN' | 'SILENCE';

/** One line of the audit log: who did what to which alarm, and what it changed. */
export interface AuditEntry {
  ts: number;
  user: string;
  action: OperatorAction;
  alarmId: string;
  reason?: string | undefined;
  before: AlarmState;
  after: AlarmState;
}

/** Where events get their seq and where they go to survive a restart. */
export interface AlarmJournal {
  nextSeq(): number;
  /** Called for every event, with the status after it, before the event is published. */
  record(event: AlarmEvent, status: AlarmStatus, audit?: AuditEntry): void;
  /** Alarm statuses saved by a previous run. */
  restore(): Map<string, PersistedAlarm>;
  /** Writes what it holds back; the database stays open. */
  close?(): void;
}

/** A journal that lives in memory: seq restarts at 1 with the process. */
export class MemoryJournal implements AlarmJournal {
  private seq = 0;
  readonly events: AlarmEvent[] = [];
  readonly statuses: AlarmStatus[] = [];
  readonly audits: AuditEntry[] = [];
  nextSeq(): number {
    return ++this.seq;
  }
  record(event: AlarmEvent, status: AlarmStatus, audit?: AuditEntry): void {
    this.events.push(event);
    this.statuses.push(status);
    if (audit) this.audits.push(audit);
  }
  restore(): Map<string, PersistedAlarm> {
    return new Map();
  }
}

export interface AlarmManagerOptions {
  definitions: readonly AlarmDefinition[];
  pointInfo(pointId: string): PointInfo;
  journal?: AlarmJournal;
  /** Time for operator actions and timers; virtual in tests. */
  scheduler?: SchedulerLike;
  /** Longest a timed shelve may last (ISA-18.2: shelving is time-limited). */
  maxShelveMs?: number;
  flood?: Partial<FloodOptions>;
}

export class AlarmActionError extends Error {}

interface Entry {
  def: AlarmDefinition;
  facts: AlarmFacts;
  value: ReadingValue;
  limit?: number | undefined;
  detail?: string | undefined;
  ts: number;
  activeSince?: number | undefined;
  shelvedUntil?: number | undefined;
  ackedAt?: number | undefined;
  shelvedBy?: string | undefined;
  assignedTo?: string | undefined;
  silenced?: boolean | undefined;
  shelveTimer?: Subscription | undefined;
  reAlarmTimer?: Subscription | undefined;
  lastEvent?: AlarmEvent | undefined;
  /** The manager's revision when this entry last changed (see changedSince). */
  rev: number;
}

interface ChangeMeta {
  user?: string | undefined;
  comment?: string | undefined;
  action?: OperatorAction | undefined;
  /** Emit even though state and activity are unchanged (comment, re-alarm). */
  force?: boolean;
}


/**
 * The only writer of alarm state. Takes condition updates from rules and operator actions, keeps the
 * ISA-18.2 facts of every alarm, and emits one AlarmEvent per change in seq order. Conditions keep
 * being evaluated and journaled while an alarm is shelved, suppressed or out of service; they are
 * just not annunciated.
 */
export class AlarmManager {
  private readonly entries = new Map<string, Entry>();
  /** Bumped at every change of any entry; each entry keeps the value of its latest change. */
  private rev = 0;
  private removals = 0;
  private readonly subject = new Subject<AlarmEvent>();
  private readonly journal: AlarmJournal;
  private readonly scheduler: SchedulerLike;
  private readonly flood: FloodTracker;
  readonly events$: Observable<AlarmEvent> = this.subject.asObservable();
  private readonly restoredSubject = new Subject<AlarmEvent>();
  /**
   * The latest event of an alarm defined after start-up with its state restored from the journal (a
   * service's own alarms join once the services run): no new event and no journal write, but a sink
   * that keeps retained states (MQTT) took its snapshot before and must publish this one too.
   */
  readonly restored$: Observable<AlarmEvent> = this.restoredSubject.asObservable();

  constructor(private readonly options: AlarmManagerOptions) {
    this.journal = options.journal ?? new MemoryJournal();
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.flood = new FloodTracker(options.flood);
    this.saved = this.journal.restore();
    for (const def of options.definitions) this.define(def, this.takeSaved(def.alarmId));
  }

  /**
   * Persisted states not yet claimed by a definition: alarms defined after construction (a service's
   * own alarms, defined when the service starts) come back with their state too. Each is used once.
   */
  private saved: Map<string, PersistedAlarm>;

  /** After start-up: states nobody claimed belong to alarms no longer configured. */
  forgetUnclaimed(): void {
    this.saved.clear();
  }

  private takeSaved(alarmId: string): PersistedAlarm | undefined {
    const s = this.saved.get(alarmId);
    if (s) this.saved.delete(alarmId);
    return s;
  }

  private define(def: AlarmDefinition, saved?: PersistedAlarm): void {
    const e: Entry = { def, facts: { ...NORMAL_FACTS }, value: null, limit: def.limit, ts: 0, rev: ++this.rev };
    this.entries.set(def.alarmId, e);
    if (!saved) return;
    Object.assign(e, { facts: { ...saved.facts }, value: saved.value, ts: saved.ts, activeSince: saved.activeSince, shelvedUntil: saved.shelvedUntil, ackedAt: saved.ackedAt, shelvedBy: saved.shelvedBy, assignedTo: saved.assignedTo, lastEvent: saved.lastEvent });
    if (saved.limit !== undefined) e.limit = saved.limit;
    if (saved.lastEvent) this.restoredSubject.next(saved.lastEvent);
    // Timers resume with the time they had left; one that ran out while the gateway was down fires now.
    if (e.facts.shelved && e.shelvedUntil !== undefined) this.armShelveTimer(e, Math.max(0, e.shelvedUntil - this.scheduler.now()));
    this.armReAlarm(e);
  }

  /**
   * Replaces the alarm definitions (hot reload). Alarms whose definition is unchanged keep their state
   * and timers; changed and new ones start normal; removed ones are dropped. Returns what changed.
   */
  redefine(definitions: readonly AlarmDefinition[]): { added: string[]; changed: string[]; removed: string[] } {
    const next = new Map(definitions.map((d) => [d.alarmId, d]));
    const result = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
    for (const [id, e] of this.entries) {
      const d = next.get(id);
      if (d && JSON.stringify(d) === JSON.stringify(e.def)) continue;
      this.disarm(e);
      // Subscribers hold this alarm's last state (retained MQTT); tell them it is reset.
      if (e.facts.active || alarmState(e.facts) !== 'NORMAL') {
        e.activeSince = undefined;
        e.shelvedUntil = undefined;
        this.change(e, { ...NORMAL_FACTS }, this.scheduler.now(), { comment: d ? '规则已修改，报警复位' : '规则已删除，报警复位' });
      }
      if (d) {
        this.define(d);
        result.changed.push(id);
      } else {
        this.entries.delete(id);
        this.removals++;
        result.removed.push(id);
      }
    }
    for (const [id, d] of next) {
      if (!this.entries.has(id)) {
        this.define(d, this.takeSaved(id));
        result.added.push(id);
      }
    }
    return result;
  }

  has(alarmId: string): boolean {
    return this.entries.has(alarmId);
  }

  private entry(alarmId: string): Entry {
    const e = this.entries.get(alarmId);
    if (!e) throw new AlarmActionError(`unknown alarm "${alarmId}"`);
    return e;
  }

  /** A rule's verdict on one alarm. */
  apply(update: ConditionUpdate): void {
    const e = this.entries.get(update.alarmId);
    if (!e) return; // removed by a reload while its last update was in flight
    e.rev = ++this.rev;
    e.value = update.value;
    if (update.limit !== undefined) e.limit = update.limit;
    e.detail = update.detail;
    if (update.active === e.facts.active) return;
    const f = { ...e.facts, active: update.active };
    if (update.active) {
      f.acked = false;
      f.latched = false;
      e.activeSince = update.ts;
      e.ackedAt = undefined;
    } else {
      e.activeSince = undefined;
      // A latched alarm stays annunciated after its condition clears until the operator resets it
      // (acknowledging a latched alarm that has cleared is the reset).
      if (e.def.latch && !e.facts.outOfService) f.latched = true;
      // A one-shot shelve ends when the condition clears (ISA-18.2 one-shot shelving).
      if (e.facts.shelved && e.shelvedUntil === undefined) {
        f.shelved = false;
        f.acked = true;
      }
    }
    this.change(e, f, update.ts);
  }

  /** Acknowledges an alarm; acknowledging a latched alarm whose condition has cleared resets it. */
  acknowledge(alarmId: string, user: string, comment?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (e.facts.acked && !e.facts.latched) return this.status(e);
    const now = this.scheduler.now();
    e.ackedAt = now;
    this.change(e, { ...e.facts, acked: true, latched: false }, now, { user, comment, action: 'ACK' });
    this.armReAlarm(e);
    return this.status(e);
  }

  /** Acknowledges every unacknowledged alarm of an area; returns those acknowledged. */
  acknowledgeArea(area: string, user: string, comment?: string): AlarmStatus[] {
    const done: AlarmStatus[] = [];
    for (const e of this.entries.values()) {
      if (this.info(e).area === area && (!e.facts.acked || e.facts.latched)) done.push(this.acknowledge(e.def.alarmId, user, comment));
    }
    return done;
  }

  /**
   * Shelves an alarm: it stays evaluated and journaled but is not annunciated. With `durationMs`
   * (at most the configured maximum) the shelve ends by itself; without, it is one-shot and ends when
   * the condition clears.
   */
  shelve(alarmId: string, user: string, options: { durationMs?: number | undefined; reason?: string | undefined } = {}): AlarmStatus {
    const e = this.entry(alarmId);
    const max = this.options.maxShelveMs ?? ALARM_DEFAULTS.maxShelveMs;
    if (options.durationMs !== undefined && (options.durationMs <= 0 || options.durationMs > max)) {
      throw new AlarmActionError(`shelve duration must be between 1 ms and the maximum of ${max / 60_000} min`);
    }
    if (options.durationMs === undefined && !e.facts.active) {
      throw new AlarmActionError(`one-shot shelving needs an active alarm (it ends when the condition clears); give a duration`);
    }
    const now = this.scheduler.now();
    e.shelvedUntil = options.durationMs !== undefined ? now + options.durationMs : undefined;
    e.shelvedBy = user;
    this.armShelveTimer(e, options.durationMs);
    this.change(e, { ...e.facts, shelved: true }, now, { user, comment: options.reason, action: 'SHELVE', force: true });
    return this.status(e);
  }

  unshelve(alarmId: string, user: string, reason?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (!e.facts.shelved) return this.status(e);
    e.shelveTimer?.unsubscribe();
    e.shelveTimer = undefined;
    e.shelvedUntil = undefined;
    e.shelvedBy = undefined;
    // An alarm still active when it comes back must be seen: it returns unacknowledged.
    this.change(e, { ...e.facts, shelved: false, acked: !e.facts.active }, this.scheduler.now(), { user, comment: reason, action: 'UNSHELVE' });
    return this.status(e);
  }

  setOutOfService(alarmId: string, outOfService: boolean, user: string, reason?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (e.facts.outOfService === outOfService) return this.status(e);
    const f = outOfService ? { ...e.facts, outOfService: true, latched: false } : { ...e.facts, outOfService: false, acked: !e.facts.active };
    this.change(e, f, this.scheduler.now(), { user, comment: reason, action: outOfService ? 'OUT_OF_SERVICE' : 'IN_SERVICE' });
    return this.status(e);
  }

  /** Suppression by design (equipment stopped), set by the engine from the alarm's gate. */
  setSuppressed(alarmId: string, suppressed: boolean, ts: number, reason?: string): void {
    const e = this.entries.get(alarmId);
    if (!e || e.facts.suppressed === suppressed) return;
    const f = suppressed ? { ...e.facts, suppressed: true } : { ...e.facts, suppressed: false, acked: !e.facts.active };
    this.change(e, f, ts, { comment: reason });
  }

  /** Adds an operator comment to the journal without changing state. */
  comment(alarmId: string, user: string, comment: string): AlarmStatus {
    const e = this.entry(alarmId);
    this.change(e, e.facts, this.scheduler.now(), { user, comment, action: 'COMMENT', force: true });
    return this.status(e);
  }

  /**
   * "I'm on it": names who is dealing with an alarm without acknowledging it (`release` clears it).
   * Journaled and audited like a comment; cleared when the alarm returns to normal.
   */
  assign(alarmId: string, user: string, options: { release?: boolean; comment?: string | undefined } = {}): AlarmStatus {
    const e = this.entry(alarmId);
    e.assignedTo = options.release ? undefined : user;
    const text = options.comment ?? (options.release ? `${user} 不再处理` : `${user} 正在处理`);
    this.change(e, e.facts, this.scheduler.now(), { user, comment: text, action: 'ASSIGN', force: true });
    return this.status(e);
  }

  /**
   * Stops the horn for an alarm's current activation. Not an acknowledgement: the alarm stays
   * unacknowledged on every console; a new activation or a re-alarm sounds again.
   */
  silence(alarmId: string, user: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (e.silenced) return this.status(e);
    e.silenced = true;
    this.change(e, e.facts, this.scheduler.now(), { user, comment: '消音', action: 'SILENCE', force: true });
    return this.status(e);
  }

  list(): AlarmStatus[] {
    return [...this.entries.values()].map((e) => this.status(e));
  }

  /**
   * Increases whenever any alarm's status may have changed (a condition update, a transition, an
   * operator action, a reload): readers that cache statuses compare it instead of rebuilding them.
   */
  get revision(): number {
    return this.rev;
  }

  /** Increases when a reload removes alarms: a cache of statuses must then be rebuilt. */
  get removalCount(): number {
    return this.removals;
  }

  /** The statuses of the alarms changed after `revision` (all of them for -1). */
  changedSince(revision: number): AlarmStatus[] {
    const out: AlarmStatus[] = [];
    for (const e of this.entries.values()) if (e.rev > revision) out.push(this.status(e));
    return out;
  }

  get(alarmId: string): AlarmStatus {
    return this.status(this.entry(alarmId));
  }

  /** Alarms the operator should see now. */
  annunciated(): AlarmStatus[] {
    // The terminal summary asks every few seconds: build status objects for these alarms only, not
    // for every configured one (10,000 points: 10,000 objects each time).
    const out: AlarmStatus[] = [];
    for (const e of this.entries.values()) if (isAnnunciated(alarmState(e.facts))) out.push(this.status(e));
    return out;
  }

  /** The latest event of every alarm that has had one: the retained state HMIs start from. */
  latestEvents(): AlarmEvent[] {
    return [...this.entries.values()].flatMap((e) => (e.lastEvent ? [e.lastEvent] : [])).sort((a, b) => a.seq - b.seq);
  }

  /** Areas now in flood, with the alarm that began each burst. */
  floods(): { area: string; count: number; firstOut?: string | undefined }[] {
    return this.flood.floodedAreas(this.scheduler.now());
  }

  close(): void {
    for (const e of this.entries.values()) this.disarm(e);
    this.journal.close?.();
    this.subject.complete();
    this.restoredSubject.complete();
  }

  private disarm(e: Entry): void {
    e.shelveTimer?.unsubscribe();
    e.reAlarmTimer?.unsubscribe();
    e.shelveTimer = undefined;
    e.reAlarmTimer = undefined;
  }

  private armShelveTimer(e: Entry, delayMs: number | undefined): void {
    e.shelveTimer?.unsubscribe();
    e.shelveTimer = delayMs === undefined ? undefined : this.scheduler.schedule(() => this.unshelve(e.def.alarmId, 'system', '搁置到期'), delayMs);
  }

  /** Re-alarm: an acknowledged alarm still active after the re-alarm time is annunciated again. */
  private armReAlarm(e: Entry): void {
    e.reAlarmTimer?.unsubscribe();
    e.reAlarmTimer = undefined;
    const period = e.def.reAlarmMs;
    if (!period || !e.facts.active || !e.facts.acked || e.ackedAt === undefined) return;
    const due = Math.max(0, e.ackedAt + period - this.scheduler.now());
    e.reAlarmTimer = this.scheduler.schedule(() => {
      e.reAlarmTimer = undefined;
      if (!e.facts.active || !e.facts.acked) return;
      e.ackedAt = undefined;
      this.change(e, { ...e.facts, acked: false }, this.scheduler.now(), { comment: '重复报警', force: true });
    }, due);
  }

  private change(e: Entry, facts: AlarmFacts, ts: number, meta: ChangeMeta = {}): void {
    e.rev = ++this.rev;
    const before = alarmState(e.facts);
    const activeBefore = e.facts.active;
    const ackedBefore = e.facts.acked;
    e.facts = facts;
    const after = alarmState(facts);
    if (before === after && activeBefore === facts.active && !meta.force) return;
    if (!facts.active || !facts.acked) {
      e.reAlarmTimer?.unsubscribe();
      e.reAlarmTimer = undefined;
    }
    // A new activation, or one annunciated again, sounds the horn again; a return to normal ends
    // the assignment.
    if (!facts.acked && (ackedBefore || (facts.active && !activeBefore))) e.silenced = false;
    if (after === 'NORMAL') e.assignedTo = undefined;
    e.ts = ts;
    const status = this.status(e);
    const event: AlarmEvent = {
      seq: this.journal.nextSeq(),
      alarmId: e.def.alarmId,
      point: e.def.point,
      condition: e.def.condition,
      severity: e.def.severity,
      state: after,
      active: facts.active,
      value: e.value,
      message: status.message,
      ts,
    };
    if (e.limit !== undefined) event.limit = e.limit;
    if (status.unit) event.unit = status.unit;
    if (meta.user !== undefined) event.user = meta.user;
    if (meta.comment !== undefined) event.comment = meta.comment;
    if (e.def.basis !== undefined) event.basis = e.def.basis;
    // A new annunciated activation counts towards floods and may be the first out of a burst.
    if (facts.active && !activeBefore && after === 'UNACK') {
      const mark = this.flood.activation(status.area, e.def.alarmId, ts);
      if (mark.firstOut) event.firstOut = true;
      if (mark.flood) event.flood = true;
    }
    const audit: AuditEntry | undefined = meta.action && meta.user !== undefined ? { ts, user: meta.user, action: meta.action, alarmId: e.def.alarmId, reason: meta.comment, before, after } : undefined;
    this.journal.record(event, status, audit);
    e.lastEvent = event;
    this.subject.next(event);
  }

  /** Looked up each time, not kept: a device may report a unit the config left out after start. */
  private info(e: Entry): PointInfo {
    return this.options.pointInfo(e.def.point);
  }

  private status(e: Entry): AlarmStatus {
    const info = this.info(e);
    return {
      alarmId: e.def.alarmId,
      point: e.def.point,
      condition: e.def.condition,
      severity: e.def.severity,
      area: info.area,
      unit: info.unit,
      state: alarmState(e.facts),
      facts: { ...e.facts },
      value: e.value,
      limit: e.limit,
      message: alarmMessage({
        severity: e.def.severity,
        pointName: info.name,
        equipment: info.equipment,
        label: e.def.label,
        custom: e.def.message,
        active: e.facts.active || e.facts.latched,
        value: e.value,
        unit: info.unit,
        limit: e.limit,
        detail: e.detail,
      }),
      basis: e.def.basis,
      ts: e.ts,
      activeSince: e.activeSince,
      shelvedUntil: e.shelvedUntil,
      ackedAt: e.ackedAt,
      shelvedBy: e.facts.shelved ? e.shelvedBy : undefined,
      assignedTo: e.assignedTo,
      silenced: e.silenced === true,
    };
  }
}
