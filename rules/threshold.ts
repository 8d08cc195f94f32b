import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import type { ConditionUpdate } from './condition.js';
import { debouncedCondition, numericValue } from './debounced-condition.js';

export interface ThresholdSpec {
  alarmId: string;
  direction: 'high' | 'low';
  limit: number;
  /** Absolute, engineering units: a high alarm clears below limit − deadband. */
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
}

/**
 * One limit of one point. A high limit raises at value ≥ limit and clears below limit − deadband;
 * a low limit mirrors it.
 */
export function thresholdAlarm(spec: ThresholdSpec, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  const high = spec.direction === 'high';
  return debouncedCondition(
    {
      alarmId: spec.alarmId,
      extract: numericValue,
      raise: high ? (x) => x >= spec.limit : (x) => x <= spec.limit,
      clear: high ? (x) => x < spec.limit - spec.deadband : (x) => x > spec.limit + spec.deadband,
      onDelayMs: spec.onDelayMs,
      offDelayMs: spec.offDelayMs,
      limit: spec.limit,
    },
    scheduler,
  );
}
