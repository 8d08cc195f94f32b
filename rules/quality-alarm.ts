import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import { isBad } from '../gateway/core/quality.js';
import type { ConditionUpdate } from './condition.js';
import { debouncedCondition, type DebouncedConditionSpec } from './debounced-condition.js';

/**
 * The diagnostic alarm of a point whose readings are Bad (device unreachable, sensor failed, …).
 * Process alarms hold their state meanwhile; this alarm tells the operator that they are blind.
 * The on-delay keeps a single timed-out poll from annunciating.
 */
/**
 * A class, not an object of closures: one per point, and its methods shared on the prototype (each
 * closure was one more object, and cache line, to touch per reading).
 */
class BadQualityCondition implements DebouncedConditionSpec<boolean> {
  readonly includeBad = true;
  readonly offDelayMs = 0;

  constructor(
    readonly alarmId: string,
    readonly onDelayMs: number,
  ) {}

  extract(r: Reading): boolean {
    return isBad(r.quality);
  }

  raise(bad: boolean): boolean {
    return bad;
  }

  clear(bad: boolean): boolean {
    return !bad;
  }
}

export function badQualitySpec(alarmId: string, onDelayMs: number): DebouncedConditionSpec<boolean> {
  return new BadQualityCondition(alarmId, onDelayMs);
}

export function badQualityAlarm(alarmId: string, onDelayMs: number, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedCondition(badQualitySpec(alarmId, onDelayMs), scheduler);
}
