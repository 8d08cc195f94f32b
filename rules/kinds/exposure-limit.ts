import type { Observable, OperatorFunction, SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { ConditionUpdate } from '../condition.js';
import { debouncedCondition, numericValue } from '../debounced-condition.js';
import { withDetail } from './common.js';

/** Config fields STEL and TWA rules share. */
export const exposureLimitFields = {
  point: z.string().min(1),
  /** In the point's unit. */
  limit: z.number().positive(),
  deadband: z.number().nonnegative().default(0),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
};

/** What STEL and TWA rules share: an exposure figure per minute held against a limit. */
export interface ExposureLimitRule {
  point: string;
  limit: number;
  deadband: number;
  onDelay: number;
  offDelay: number;
}

/**
 * Readings of a point → exposure figures (`figures`) → the `<point>:<condition>` alarm with deadband
 * and delays, its detail naming the figure (e.g. "15 分钟短时间接触浓度 27.3 ppm，限值 26 ppm").
 */
export function exposureLimitAlarm(
  readings$: Observable<Reading>,
  rule: ExposureLimitRule,
  condition: 'STEL' | 'TWA',
  figures: OperatorFunction<Reading, Reading>,
  describe: (value: number) => string,
  scheduler: SchedulerLike,
): Observable<ConditionUpdate> {
  return readings$.pipe(
    figures,
    debouncedCondition(
      {
        alarmId: `${rule.point}:${condition}`,
        extract: numericValue,
        raise: (v) => v >= rule.limit,
        clear: (v) => v < rule.limit - rule.deadband,
        onDelayMs: rule.onDelay,
        offDelayMs: rule.offDelay,
        limit: rule.limit,
      },
      scheduler,
    ),
    withDetail((u) => (u.active && typeof u.value === 'number' ? describe(u.value) : undefined)),
  );
}
