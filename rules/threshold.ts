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

/**
 * The debouncer spec of one limit. A class, not an object of closures: a plant has tens of thousands
 * of limits and the methods are shared on the prototype.
 */
class ThresholdCondition implements DebouncedConditionSpec<number> {
  readonly alarmId: string;
  readonly onDelayMs: number;
  readonly offDelayMs: number;
  readonly limit: number;
  private readonly high: boolean;
  private readonly clearAt: number;

  constructor(spec: ThresholdSpec) {
    this.alarmId = spec.alarmId;
    this.onDelayMs = spec.onDelayMs;
    this.offDelayMs = spec.offDelayMs;
    this.limit = spec.limit;
    this.high = spec.direction === 'high';
    this.clearAt = this.high ? spec.limit - spec.deadband : spec.limit + spec.deadband;
  }

  extract(r: Reading): number | undefined {
    return numericValue(r);
  }

  raise(x: number): boolean {
    return this.high ? x >= this.limit : x <= this.limit;
  }

  clear(x: number): boolean {
    return this.high ? x < this.clearAt : x > this.clearAt;
  }
}

export function thresholdConditionSpec(spec: ThresholdSpec): DebouncedConditionSpec<number> {
  return new ThresholdCondition(spec);
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
