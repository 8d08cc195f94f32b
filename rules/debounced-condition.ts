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
 * The filter chain of ISA-18.2 (deadband → on-delay → off-delay) as one pure operator, timed by the
 * scheduler only. Readings that are Bad, or that `extract` rejects, neither raise nor clear; they
 * cancel a pending delay because the condition is no longer known to persist.
 *
 * The first usable reading that satisfies `clear` is reported as an inactive condition even though
 * nothing changed here: after a restart or a rule reload the alarm manager may hold this alarm active
 * from before, and only this tells it the condition has gone meanwhile.
 */
export function debouncedCondition<V>(spec: DebouncedConditionSpec<V>, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return (source) =>
    new Observable<ConditionUpdate>((subscriber) => {
      let active = false;
      let known = false;
      let last: Reading | undefined;
      let pendingOn: Subscription | undefined;
      let pendingOff: Subscription | undefined;

      const emit = (isActive: boolean, r: Reading, ts: number) => {
        active = isActive;
        known = true;
        const update: ConditionUpdate = { alarmId: spec.alarmId, active: isActive, value: r.value, ts };
        if (spec.limit !== undefined) update.limit = spec.limit;
        subscriber.next(update);
      };
      const cancelOn = () => {
        pendingOn?.unsubscribe();
        pendingOn = undefined;
      };
      const cancelOff = () => {
        pendingOff?.unsubscribe();
        pendingOff = undefined;
      };

      const sub = source.subscribe({
        next(r) {
          const v = isBad(r.quality) && !spec.includeBad ? undefined : spec.extract(r);
          if (v === undefined) {
            cancelOn();
            cancelOff();
            return;
          }
          last = r;
          if (!known && spec.clear(v)) {
            cancelOn();
            return emit(false, r, r.ts);
          }
          if (!active) {
            if (!spec.raise(v)) return cancelOn();
            if (spec.onDelayMs <= 0) return emit(true, r, r.ts);
            pendingOn ??= scheduler.schedule(() => {
              pendingOn = undefined;
              emit(true, last!, scheduler.now());
            }, spec.onDelayMs);
          } else {
            if (!spec.clear(v)) return cancelOff();
            if (spec.offDelayMs <= 0) return emit(false, r, r.ts);
            pendingOff ??= scheduler.schedule(() => {
              pendingOff = undefined;
              emit(false, last!, scheduler.now());
            }, spec.offDelayMs);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        cancelOn();
        cancelOff();
        sub.unsubscribe();
      };
    });
}

/** Numeric value of a reading, or undefined for null, booleans and non-finite numbers. */
export function numericValue(r: Reading): number | undefined {
  return typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : undefined;
}
