import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition, numericValue } from '../debounced-condition.js';
import { alarmDefinition, conditionCodeSchema, ruleBaseFields } from './common.js';

/**
 * Rate of change of one point, rising or falling.
 *
 * ```yaml
 * - id: gh1-level-falling
 *   kind: rate-of-change
 *   point: gh1.level          # 煤气柜柜位
 *   direction: falling        # rising | falling
 *   limit: 0.5                # engineering units per `per`, always positive
 *   per: min                  # s | min
 *   window: 30s               # the rate is taken over at least this span of readings
 *   deadband: 0.1             # clears below limit − deadband
 *   onDelay: 5s
 *   offDelay: 10s
 *   severity: 3
 *   message: 煤气柜柜位下降过快
 * ```
 * Alarm id `<point>:ROC_RISE` or `<point>:ROC_FALL` (or `condition:` to name it).
 */
export const rateOfChangeRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('rate-of-change'),
  point: z.string().min(1),
  direction: z.enum(['rising', 'falling']),
  limit: z.number().positive(),
  per: z.enum(['s', 'min']).default('min'),
  window: durationSchema.default(10_000).refine((ms) => ms > 0, 'window must be longer than 0'),
  deadband: z.number().nonnegative().default(0),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
  condition: conditionCodeSchema.optional(),
});
export type RateOfChangeRule = z.infer<typeof rateOfChangeRuleSchema>;

const condition = (rule: RateOfChangeRule) => rule.condition ?? (rule.direction === 'rising' ? 'ROC_RISE' : 'ROC_FALL');

/**
 * Turns readings into readings of their rate (units per `perMs`), taken between the newest reading
 * and the newest one at least `windowMs` older, by source timestamps. Until a full window of Good
 * history exists the rate is null (unknown). Bad readings pass as Bad.
 */
export function rateReadings(windowMs: number, perMs = 1000): OperatorFunction<Reading, Reading> {
  return (source) =>
    new Observable<Reading>((subscriber) => {
      // History as parallel number arrays from `head` on: no object per reading (see ConditionDebouncer).
      const ts: number[] = [];
      const vs: number[] = [];
      let head = 0;
      return source.subscribe({
        next(r) {
          const v = isBad(r.quality) ? undefined : numericValue(r);
          // Explicit literals, not spreads: this runs for every reading of the point.
          if (v === undefined) return subscriber.next({ point: r.point, value: null, quality: r.quality, ts: r.ts, receivedAt: r.receivedAt });
          // A clock step backwards (device resync) makes the old history meaningless.
          if (ts.length > head && r.ts <= ts[ts.length - 1]!) {
            ts.length = 0;
            vs.length = 0;
            head = 0;
          }
          ts.push(r.ts);
          vs.push(v);
          // Keep exactly one sample at or before ts − window: the base of the rate.
          while (ts.length - head >= 2 && ts[head + 1]! <= r.ts - windowMs) head++;
          if (head > 1024 && head * 2 > ts.length) {
            ts.splice(0, head);
            vs.splice(0, head);
            head = 0;
          }
          const baseTs = ts[head]!;
          const rate = baseTs <= r.ts - windowMs ? ((v - vs[head]!) * perMs) / (r.ts - baseTs) : null;
          subscriber.next({ point: r.point, value: rate, quality: r.quality, ts: r.ts, receivedAt: r.receivedAt });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

export const rateOfChangeRule: RuleKind<typeof rateOfChangeRuleSchema> = {
  kind: 'rate-of-change',
  schema: rateOfChangeRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:${condition(rule)}`, rule.point, condition(rule), { limit: rule.limit })],
  build: (rule, ctx) => {
    const sign = rule.direction === 'rising' ? 1 : -1;
    return ctx.point$(rule.point).pipe(
      rateReadings(rule.window, rule.per === 'min' ? 60_000 : 1000),
      debouncedCondition(
        {
          alarmId: `${rule.point}:${condition(rule)}`,
          extract: (r) => (typeof r.value === 'number' ? sign * r.value : undefined),
          raise: (rate) => rate >= rule.limit,
          clear: (rate) => rate < rule.limit - rule.deadband,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
          limit: rule.limit,
        },
        ctx.scheduler,
      ),
    );
  },
};
