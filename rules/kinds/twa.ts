import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition, numericValue } from '../debounced-condition.js';
import { twaReadings } from '../exposure/operators.js';
import { alarmDefinition, ruleBaseFields, withDetail } from './common.js';

/**
 * Rolling 8-h time-weighted average: Σ(1-min means over the last 480 minutes) / 480, in the
 * point's unit.
 *
 * ```yaml
 * - id: co101-twa
 *   kind: twa
 *   point: gas.co_101           # ppm
 *   limit: 17                   # CO PC-TWA 20 mg/m³ ≈ 17 ppm (25 °C)
 *   deadband: 0.5
 *   severity: 2
 *   message: 加压机房一氧化碳8小时时间加权平均浓度超限
 * ```
 * Evaluated at the end of each minute that has data; minutes without data count as zero in the
 * sum (the definition), but a minute without data is never evaluated, so a Bad detector cannot
 * clear the alarm. Alarm id `<point>:TWA`.
 */
export const twaRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('twa'),
  point: z.string().min(1),
  limit: z.number().positive(),
  deadband: z.number().nonnegative().default(0),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
});
export type TwaRule = z.infer<typeof twaRuleSchema>;

export const twaRule: RuleKind<typeof twaRuleSchema> = {
  kind: 'twa',
  schema: twaRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:TWA`, rule.point, 'TWA', { limit: rule.limit })],
  build: (rule, ctx) => {
    const unit = ctx.point(rule.point).unit;
    return ctx.point$(rule.point).pipe(
      twaReadings(rule.id),
      debouncedCondition(
        {
          alarmId: `${rule.point}:TWA`,
          extract: numericValue,
          raise: (v) => v >= rule.limit,
          clear: (v) => v < rule.limit - rule.deadband,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
          limit: rule.limit,
        },
        ctx.scheduler,
      ),
      withDetail((u) => (u.active && typeof u.value === 'number' ? `8 小时时间加权平均浓度 ${u.value.toFixed(2)} ${unit}，限值 ${rule.limit} ${unit}` : undefined)),
    );
  },
};
