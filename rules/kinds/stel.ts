import { z } from 'zod';
import type { RuleKind } from '../condition.js';
import { stelReadings } from '../exposure/operators.js';
import { alarmDefinition, ruleBaseFields } from './common.js';
import { exposureLimitAlarm, exposureLimitFields } from './exposure-limit.js';

/**
 * Short-term exposure: the rolling 15-min mean of 1-min means against a STEL, in the point's unit.
 *
 * ```yaml
 * - id: co101-stel
 *   kind: stel
 *   point: gas.co_101           # ppm
 *   limit: 26                   # CO PC-STEL 30 mg/m³ ≈ 26 ppm (25 °C)
 *   deadband: 1
 *   minCoverage: 0.8            # at least 12 of the 15 minutes must have data
 *   severity: 2
 *   message: 加压机房一氧化碳短时间接触浓度超限
 * ```
 * Evaluated at the end of each minute (by source timestamps). Alarm id `<point>:STEL`.
 */
export const stelRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('stel'),
  ...exposureLimitFields,
  minCoverage: z.number().gt(0).max(1).default(0.8),
});
export type StelRule = z.infer<typeof stelRuleSchema>;

export const stelRule: RuleKind<typeof stelRuleSchema> = {
  kind: 'stel',
  schema: stelRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:STEL`, rule.point, 'STEL', { limit: rule.limit })],
  build: (rule, ctx) => {
    const unit = ctx.point(rule.point).unit;
    return exposureLimitAlarm(ctx.point$(rule.point), rule, 'STEL', stelReadings(rule.id, rule.minCoverage), (v) => `15 分钟短时间接触浓度 ${v.toFixed(1)} ${unit}，限值 ${rule.limit} ${unit}`, ctx.scheduler);
  },
};
