import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
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
export class ConditionDebouncer<V> {
  private active = false;
  private known = false;
  private last: Reading | undefined;
  private pendingOn: Subscription | undefined;
  private pendingOff: Subscription | undefined;

  constructor(
    private readonly spec: DebouncedConditionSpec<V>,
    private readonly scheduler: SchedulerLike,
    private readonly emitUpdate: (u: ConditionUpdate) => void,
  ) {}

  next(r: Reading): void {
    const spec = this.spec;
    const v = isBad(r.quality) && !spec.includeBad ? undefined : spec.extract(r);
    if (v === undefined) {
      this.cancelOn();
      this.cancelOff();
      return;
    }
    this.last = r;
    if (!this.known && spec.clear(v)) {
      this.cancelOn();
      return this.emit(false, r, r.ts);
    }
    if (!this.active) {
      if (!spec.raise(v)) return this.cancelOn();
      if (spec.onDelayMs <= 0) return this.emit(true, r, r.ts);
      this.pendingOn ??= this.scheduler.schedule(() => {
        this.pendingOn = undefined;
        this.emit(true, this.last!, this.scheduler.now());
      }, spec.onDelayMs);
    } else {
      if (!spec.clear(v)) return this.cancelOff();
      if (spec.offDelayMs <= 0) return this.emit(false, r, r.ts);
      this.pendingOff ??= this.scheduler.schedule(() => {
        this.pendingOff = undefined;
        this.emit(false, this.last!, this.scheduler.now());
      }, spec.offDelayMs);
    }
  }

  dispose(): void {
    this.cancelOn();
    this.cancelOff();
  }

  private emit(isActive: boolean, r: Reading, ts: number): void {
    this.active = isActive;
    this.known = true;
    const update: ConditionUpdate = { alarmId: this.spec.alarmId, active: isActive, value: r.value, ts };
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

/** Several conditions on one stream with one subscription (e.g. the LL/L/H/HH limits of a point). */
export function debouncedConditions<V>(specs: readonly DebouncedConditionSpec<V>[], scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return (source) =>
    new Observable<ConditionUpdate>((subscriber) => {
      const emit = (u: ConditionUpdate) => subscriber.next(u);
      const machines = specs.map((spec) => new ConditionDebouncer(spec, scheduler, emit));
      const sub = source.subscribe({
        next(r) {
          for (let i = 0; i < machines.length; i++) machines[i]!.next(r);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        for (const m of machines) m.dispose();
        sub.unsubscribe();
      };
    });
}

/** One condition on a stream as a pure operator. */
export function debouncedCondition<V>(spec: DebouncedConditionSpec<V>, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedConditions([spec], scheduler);
}

/** Numeric value of a reading, or undefined for null, booleans and non-finite numbers. */
export function numericValue(r: Reading): number | undefined {
  return typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : undefined;
}
