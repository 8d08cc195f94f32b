import { Subject, asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { AlarmEvent, AlarmState } from '../core/alarm-event.js';
import type { ReadingValue } from '../core/reading.js';
import type { AlarmDefinition, ConditionUpdate } from '../../rules/condition.js';
import { alarmState, NORMAL_FACTS, type AlarmFacts } from './alarm-state.js';
import { alarmMessage } from './messages.js';

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
  state: AlarmState;
  facts: AlarmFacts;
  value: ReadingValue;
  limit?: number | undefined;
  message: string;
  /** Time of the latest state change. */
  ts: number;
  /** When the current activation began (undefined when not active). */
  activeSince?: number | undefined;
  shelvedUntil?: number | undefined;
}

/** Where events get their seq and where they go to survive a restart. */
export interface AlarmJournal {
  nextSeq(): number;
  /** Called for every event, with the status after it, before the event is published. */
  record(event: AlarmEvent, status: AlarmStatus): void;
}

/** A journal that lives in memory: seq restarts at 1 with the process. */
export class MemoryJournal implements AlarmJournal {
  private seq = 0;
  readonly events: AlarmEvent[] = [];
  nextSeq(): number {
    return ++this.seq;
  }
  record(event: AlarmEvent): void {
    this.events.push(event);
  }
}

export interface AlarmManagerOptions {
  definitions: readonly AlarmDefinition[];
  pointInfo(pointId: string): PointInfo;
  journal?: AlarmJournal;
  /** Time for operator actions and shelve timers; virtual in tests. */
  scheduler?: SchedulerLike;
}

export class UnknownAlarmError extends Error {
  constructor(alarmId: string) {
    super(`unknown alarm "${alarmId}"`);
  }
}

interface Entry {
  def: AlarmDefinition;
  info: PointInfo;
  facts: AlarmFacts;
  value: ReadingValue;
  limit?: number | undefined;
  detail?: string | undefined;
  ts: number;
  activeSince?: number | undefined;
  shelvedUntil?: number | undefined;
  shelveTimer?: Subscription | undefined;
}

/**
 * The only writer of alarm state. Takes condition updates from rules and operator actions, keeps the
 * ISA-18.2 facts of every alarm, and emits one AlarmEvent per change in seq order.
 */
export class AlarmManager {
  private readonly entries = new Map<string, Entry>();
  private readonly subject = new Subject<AlarmEvent>();
  private readonly journal: AlarmJournal;
  private readonly scheduler: SchedulerLike;
  readonly events$: Observable<AlarmEvent> = this.subject.asObservable();

  constructor(private readonly options: AlarmManagerOptions) {
    this.journal = options.journal ?? new MemoryJournal();
    this.scheduler = options.scheduler ?? asyncScheduler;
    for (const def of options.definitions) this.define(def);
  }

  private define(def: AlarmDefinition): void {
    this.entries.set(def.alarmId, { def, info: this.options.pointInfo(def.point), facts: { ...NORMAL_FACTS }, value: null, limit: def.limit, ts: 0 });
  }

  private entry(alarmId: string): Entry {
    const e = this.entries.get(alarmId);
    if (!e) throw new UnknownAlarmError(alarmId);
    return e;
  }

  /** A rule's verdict on one alarm. Unknown alarm ids are a wiring bug and throw. */
  apply(update: ConditionUpdate): void {
    const e = this.entry(update.alarmId);
    e.value = update.value;
    if (update.limit !== undefined) e.limit = update.limit;
    e.detail = update.detail;
    if (update.active === e.facts.active) return;
    const f = { ...e.facts, active: update.active };
    if (update.active) {
      f.acked = false;
      e.activeSince = update.ts;
    } else {
      e.activeSince = undefined;
      // A latched alarm stays annunciated after its condition clears until the operator resets it.
      if (e.def.latch && !e.facts.outOfService) f.latched = true;
      // A one-shot shelve ends when the condition clears (ISA-18.2 one-shot shelving).
      if (e.facts.shelved && e.shelvedUntil === undefined) {
        f.shelved = false;
        f.acked = true;
      }
    }
    this.change(e, f, update.ts);
  }

  acknowledge(alarmId: string, user: string, comment?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (e.facts.acked && !e.facts.latched) return this.status(e);
    // Acknowledging a latched alarm whose condition has cleared also resets the latch.
    const f = { ...e.facts, acked: true, latched: e.facts.latched && e.facts.active };
    this.change(e, f, this.scheduler.now(), user, comment);
    return this.status(e);
  }

  /** Acknowledges every unacknowledged alarm of an area; returns those acknowledged. */
  acknowledgeArea(area: string, user: string, comment?: string): AlarmStatus[] {
    const done: AlarmStatus[] = [];
    for (const e of this.entries.values()) {
      if (e.info.area === area && (!e.facts.acked || e.facts.latched)) done.push(this.acknowledge(e.def.alarmId, user, comment));
    }
    return done;
  }

  /**
   * Shelves an alarm: it stays evaluated and journaled but is not annunciated. With `durationMs` the
   * shelve ends by itself; without, it is one-shot and ends when the condition clears.
   */
  shelve(alarmId: string, user: string, options: { durationMs?: number; reason?: string } = {}): AlarmStatus {
    const e = this.entry(alarmId);
    e.shelveTimer?.unsubscribe();
    const now = this.scheduler.now();
    e.shelvedUntil = options.durationMs !== undefined ? now + options.durationMs : undefined;
    if (options.durationMs !== undefined) {
      e.shelveTimer = this.scheduler.schedule(() => this.unshelve(alarmId, 'system', '搁置到期'), options.durationMs);
    }
    this.change(e, { ...e.facts, shelved: true }, now, user, options.reason);
    return this.status(e);
  }

  unshelve(alarmId: string, user: string, reason?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (!e.facts.shelved) return this.status(e);
    e.shelveTimer?.unsubscribe();
    e.shelveTimer = undefined;
    e.shelvedUntil = undefined;
    // An alarm still active when it comes back must be seen: it returns unacknowledged.
    this.change(e, { ...e.facts, shelved: false, acked: !e.facts.active }, this.scheduler.now(), user, reason);
    return this.status(e);
  }

  setOutOfService(alarmId: string, outOfService: boolean, user: string, reason?: string): AlarmStatus {
    const e = this.entry(alarmId);
    if (e.facts.outOfService === outOfService) return this.status(e);
    const f = outOfService ? { ...e.facts, outOfService: true, latched: false } : { ...e.facts, outOfService: false, acked: !e.facts.active };
    this.change(e, f, this.scheduler.now(), user, reason);
    return this.status(e);
  }

  /** Suppression by design (equipment stopped): set by the engine from the alarm's gate. */
  setSuppressed(alarmId: string, suppressed: boolean, ts: number, reason?: string): void {
    const e = this.entry(alarmId);
    if (e.facts.suppressed === suppressed) return;
    const f = suppressed ? { ...e.facts, suppressed: true } : { ...e.facts, suppressed: false, acked: !e.facts.active };
    this.change(e, f, ts, 'system', reason);
  }

  /** Adds an operator comment to the journal without changing state. */
  comment(alarmId: string, user: string, comment: string): AlarmStatus {
    const e = this.entry(alarmId);
    this.emit(e, this.scheduler.now(), user, comment);
    return this.status(e);
  }

  list(): AlarmStatus[] {
    return [...this.entries.values()].map((e) => this.status(e));
  }

  get(alarmId: string): AlarmStatus {
    return this.status(this.entry(alarmId));
  }

  /** Alarms the operator should see now. */
  annunciated(): AlarmStatus[] {
    return this.list().filter((s) => ['UNACK', 'ACKED', 'RTN_UNACK', 'LATCHED_UNACK', 'LATCHED_ACKED'].includes(s.state));
  }

  close(): void {
    for (const e of this.entries.values()) e.shelveTimer?.unsubscribe();
    this.subject.complete();
  }

  private change(e: Entry, facts: AlarmFacts, ts: number, user?: string, comment?: string): void {
    const before = alarmState(e.facts);
    const activeBefore = e.facts.active;
    e.facts = facts;
    if (before === alarmState(facts) && activeBefore === facts.active && !user) return;
    e.ts = ts;
    this.emit(e, ts, user, comment);
  }

  private emit(e: Entry, ts: number, user?: string, comment?: string): void {
    const status = this.status(e);
    const event: AlarmEvent = {
      seq: this.journal.nextSeq(),
      alarmId: e.def.alarmId,
      point: e.def.point,
      condition: e.def.condition,
      severity: e.def.severity,
      state: status.state,
      active: e.facts.active,
      value: e.value,
      message: status.message,
      ts,
    };
    if (e.limit !== undefined) event.limit = e.limit;
    if (e.info.unit) event.unit = e.info.unit;
    if (user !== undefined) event.user = user;
    if (comment !== undefined) event.comment = comment;
    this.journal.record(event, status);
    this.subject.next(event);
  }

  private status(e: Entry): AlarmStatus {
    return {
      alarmId: e.def.alarmId,
      point: e.def.point,
      condition: e.def.condition,
      severity: e.def.severity,
      area: e.info.area,
      state: alarmState(e.facts),
      facts: { ...e.facts },
      value: e.value,
      limit: e.limit,
      message: alarmMessage({
        severity: e.def.severity,
        pointName: e.info.name,
        equipment: e.info.equipment,
        label: e.def.label,
        custom: e.def.message,
        active: e.facts.active || e.facts.latched,
        value: e.value,
        unit: e.info.unit,
        limit: e.limit,
        detail: e.detail,
      }),
      ts: e.ts,
      activeSince: e.activeSince,
      shelvedUntil: e.shelvedUntil,
    };
  }
}
