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
export function badQualitySpec(alarmId: string, onDelayMs: number): DebouncedConditionSpec<boolean> {
  return {
    alarmId,
    includeBad: true,
    extract: (r) => isBad(r.quality),
    raise: (bad) => bad,
    clear: (bad) => !bad,
    onDelayMs,
    offDelayMs: 0,
  };
}

export function badQualityAlarm(alarmId: string, onDelayMs: number, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedCondition(badQualitySpec(alarmId, onDelayMs), scheduler);
}
