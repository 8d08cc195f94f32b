import { z } from 'zod';
import type { RuleKind } from '../condition.js';
import { twaReadings } from '../exposure/operators.js';
import { alarmDefinition, ruleBaseFields } from './common.js';
import { exposureLimitAlarm, exposureLimitFields } from './exposure-limit.js';

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
  ...exposureLimitFields,
});
export type TwaRule = z.infer<typeof twaRuleSchema>;

export const twaRule: RuleKind<typeof twaRuleSchema> = {
  kind: 'twa',
  schema: twaRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:TWA`, rule.point, 'TWA', { limit: rule.limit })],
  build: (rule, ctx) => {
    const unit = ctx.point(rule.point).unit;
    return exposureLimitAlarm(ctx.point$(rule.point), rule, 'TWA', twaReadings(rule.id), (v) => `8 小时时间加权平均浓度 ${v.toFixed(2)} ${unit}，限值 ${rule.limit} ${unit}`, ctx.scheduler);
  },
};
