import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import type { ConditionUpdate } from './condition.js';
import { debouncedCondition, debouncedConditions, numericValue, type DebouncedConditionSpec } from './debounced-condition.js';

export interface ThresholdSpec {
  alarmId: string;
  direction: 'high' | 'low';
  limit: number;
  /** Absolute, engineering units: a high alarm clears below limit − deadband. */
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
}

export function thresholdConditionSpec(spec: ThresholdSpec): DebouncedConditionSpec<number> {
  const high = spec.direction === 'high';
  const clearBelow = spec.limit - spec.deadband;
  const clearAbove = spec.limit + spec.deadband;
  return {
    alarmId: spec.alarmId,
    extract: numericValue,
    raise: high ? (x) => x >= spec.limit : (x) => x <= spec.limit,
    clear: high ? (x) => x < clearBelow : (x) => x > clearAbove,
    onDelayMs: spec.onDelayMs,
    offDelayMs: spec.offDelayMs,
    limit: spec.limit,
  };
}

/**
 * One limit of one point. A high limit raises at value ≥ limit and clears below limit − deadband;
 * a low limit mirrors it.
 */
export function thresholdAlarm(spec: ThresholdSpec, scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedCondition(thresholdConditionSpec(spec), scheduler);
}

/** All limits of one point on one subscription. */
export function thresholdAlarms(specs: readonly ThresholdSpec[], scheduler: SchedulerLike): OperatorFunction<Reading, ConditionUpdate> {
  return debouncedConditions(specs.map(thresholdConditionSpec), scheduler);
}
