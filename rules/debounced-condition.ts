import { Observable, Subscriber, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import { isBad } from '../gateway/core/quality.js';
import type { ConditionUpdate } from './condition.js';

export interface DebouncedConditionSpec<V> {
  alarmId: string;
  /** Turns a reading into the value the predicates look at; undefined means "not usable". */
  extract(r: Reading): V | undefined;
  /** True when the condition is present. */
  raise(v: V): boolean;
  /** True when the condition has gone (for a limit: back beyond the deadband). */
  clear(v: V): boolean;
  /** Every usable reading must satisfy `raise` for this long before the condition is reported. */
  onDelayMs: number;
  /** Every usable reading must satisfy `clear` for this long before the return is reported. */
  offDelayMs: number;
  limit?: number;
  /** Look at Bad readings too (for the quality diagnostic itself); normally they are skipped. */
  includeBad?: boolean;
}

/**
 * The filter chain of ISA-18.2 (deadband → on-delay → off-delay) for one condition, timed by the
 * scheduler only. Readings that are Bad, or that `extract` rejects, neither raise nor clear; they
 * cancel a pending delay because the condition is no longer known to persist.
 *
 * The first usable reading that satisfies `clear` is reported as an inactive condition even though
 * nothing changed here: after a restart or a rule reload the alarm manager may hold this alarm active
 * from before, and only this tells it the condition has gone meanwhile.
 *
 * A class rather than closures: it runs once per reading per condition, the rule engine's hot path.
 */
/** Something that watches the readings of one point and reports condition updates. */
export interface ReadingMachine {
  /** `bad` is isBad(r.quality), computed once per reading for all machines on it. */
  next(r: Reading, bad: boolean): void;
  dispose(): void;
}

export class ConditionDebouncer<V> implements ReadingMachine {
  private active = false;
  private known = false;
  // The latest usable value while an on- or off-delay is pending (what the delayed update reports),
  // kept as a primitive: holding the Reading itself would keep every reading alive until the next one
  // of its point, long enough for V8 to promote it to the old generation. Written only while a delay
  // is pending: a number stored into this long-lived object on every reading costs a write barrier
  // and keeps each young value alive into the next scavenge.
  private lastValue: Reading['value'] = null;
  private pendingOn: Subscription | undefined;
  private pendingOff: Subscription | undefined;

  constructor(
    private readonly spec: DebouncedConditionSpec<V>,
    private readonly scheduler: SchedulerLike,
    private readonly emitUpdate: (u: ConditionUpdate) => void,
  ) {}

  next(r: Reading, bad: boolean): void {
    const spec = this.spec;
    const v = bad && !spec.includeBad ? undefined : spec.extract(r);
    if (v === undefined) {
      this.cancelOn();
      this.cancelOff();
      return;
    }
    if (this.pendingOn !== undefined || this.pendingOff !== undefined) this.lastValue = r.value;
    if (!this.known && spec.clear(v)) {
      this.cancelOn();
      return this.emit(false, r.value, r.ts);
    }
    if (!this.active) {
      if (!spec.raise(v)) return this.cancelOn();
      if (spec.onDelayMs <= 0) return this.emit(true, r.value, r.ts);
      if (this.pendingOn !== undefined) return;
      this.lastValue = r.value;
      this.pendingOn = this.scheduler.schedule(() => {
        this.pendingOn = undefined;
        this.emit(true, this.lastValue, this.scheduler.now());
      }, spec.onDelayMs);
    } else {
      if (!spec.clear(v)) return this.cancelOff();
      if (spec.offDelayMs <= 0) return this.emit(false, r.value, r.ts);
      if (this.pendingOff !== undefined) return;
      this.lastValue = r.value;
      this.pendingOff = this.scheduler.schedule(() => {
        this.pendingOff = undefined;
        this.emit(false, this.lastValue, this.scheduler.now());
      }, spec.offDelayMs);
    }
  }

  dispose(): void {
    this.cancelOn();
    this.cancelOff();
  }

  private emit(isActive: boolean, value: Reading['value'], ts: number): void {
    this.active = isActive;
    this.known = true;
    const update: ConditionUpdate = { alarmId: this.spec.alarmId, active: isActive, value, ts };
    if (this.spec.limit !== undefined) update.limit = this.spec.limit;
    this.emitUpdate(update);
  }

  private cancelOn(): void {
    if (!this.pendingOn) return;
    this.pendingOn.unsubscribe();
    this.pendingOn = undefined;
  }

  private cancelOff(): void {
    if (!this.pendingOff) return;
    this.pendingOff.unsubscribe();
    this.pendingOff = undefined;
  }
}

/**
 * Feeds readings to debouncers. A Subscriber subclass rather than an observer object: the bus then
 * calls it directly, without RxJS wrapping it in a SafeSubscriber (two calls fewer per reading).
 */
class MachineSubscriber extends Subscriber<Reading> {
  // The first two machines (a point's limit and its quality diagnostic, the usual set) in fields of
  // their own, the others in an array: a JS array is two objects, two more cache lines per reading
  // among 10,000 points.
  private readonly first: ReadingMachine | undefined;
  private readonly second: ReadingMachine | undefined;
  private readonly rest: readonly ReadingMachine[] | undefined;

  constructor(
    machines: readonly ReadingMachine[],
    private readonly downstream: Subscriber<ConditionUpdate>,
  ) {
    super();
    this.first = machines[0];
    this.second = machines[1];
    this.rest = machines.length > 2 ? machines.slice(2) : undefined;
  }

  protected override _next(r: Reading): void {
    const bad = isBad(r.quality);
    const first = this.first;
    if (first === undefined) return;
    first.next(r, bad);
    const second = this.second;
    if (second === undefined) return;
    second.next(r, bad);
    const rest = this.rest;
    if (rest === undefined) return;
    for (let i = 0; i < rest.length; i++) rest[i]!.next(r, bad);
  }

  protected override _error(err: unknown): void {
    this.downstream.error(err);
  }

  protected override _complete(): void {
    this.downstream.complete();
  }
}

/**
 * Runs machines on one stream with one subscription (e.g. the limits and the quality diagnostic of a
 * point): one hop from the bus per reading, however many conditions watch it.
 */
export function runMachines(create: (emit: (u: ConditionUpdate) => void) => ReadingMachine[]): OperatorFunction<Reading, ConditionUpdate> {
  return (source) =>
    new Observable<ConditionUpdate>((subscriber) => {
      const machines = create((u) => subscriber.next(u));
      const sub = source.subscribe(new MachineSubscriber(machines, subscriber));
      return () => {
        for (const m of machines) m.dispose();
        sub.unsubscribe();
      };
    });
}

/** Several conditions of one kind on one stream. */
export function debouncedConditions<V>(specs: readonly DebouncedConditionSpec<V>[], scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return runMachines((emit) => specs.map((spec) => new ConditionDebouncer(spec, scheduler, emit)));
}

/** One condition on a stream as a pure operator. */
export function debouncedCondition<V>(spec: DebouncedConditionSpec<V>, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedConditions([spec], scheduler);
}

/** Numeric value of a reading, or undefined for null, booleans and non-finite numbers. */
export function numericValue(r: Reading): number | undefined {
  return typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : undefined;
}
