import { map } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition } from '../debounced-condition.js';
import { compileCondition, conditionPoints } from '../expression/compile.js';
import { alarmDefinition, conditionCodeSchema, conditionExpressionSchema, derivedReading, latestReadings, ruleBaseFields, usableValue } from './common.js';

/**
 * A condition over several points that must hold for a time (rules/README.md describes the
 * expression language).
 *
 * ```yaml
 * - id: bf1-relief-not-open
 *   kind: expression
 *   expression: bf1.top_pressure > bf1.relief_set and not bf1.relief_valve_open
 *   onDelay: 3s                 # the condition must hold this long
 *   offDelay: 0s
 *   point: bf1.top_pressure     # optional: the point the alarm is shown under (default: the first one read)
 *   severity: 4
 *   message: 1#高炉炉顶压力超放散设定值且放散阀未打开
 * ```
 * Alarm id `<rule id>:EXPR`. Any point of the expression Bad or not yet read: neither raise nor clear.
 */
export const expressionRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('expression'),
  expression: conditionExpressionSchema,
  point: z.string().min(1).optional(),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
  condition: conditionCodeSchema.default('EXPR'),
});
export type ExpressionRule = z.infer<typeof expressionRuleSchema>;

function displayPoint(rule: ExpressionRule): string {
  return rule.point ?? conditionPoints(rule.expression)[0] ?? rule.id;
}

export const expressionRule: RuleKind<typeof expressionRuleSchema> = {
  kind: 'expression',
  schema: expressionRuleSchema,
  inputs: (rule) => [...new Set([...(rule.point ? [rule.point] : []), ...conditionPoints(rule.expression)])],
  alarms: (rule) => [alarmDefinition(rule, `${rule.id}:${rule.condition}`, displayPoint(rule), rule.condition)],
  build: (rule, ctx) => {
    const expr = compileCondition(rule.expression);
    const shown = displayPoint(rule);
    let shownValue: number | boolean | null = null;
    return latestReadings(ctx, rule.point ? [...expr.points, rule.point] : expr.points).pipe(
      map(({ latest, changed }) => {
        shownValue = usableValue(latest.get(shown)) ?? null;
        return derivedReading(rule.id, expr.evaluate((id) => usableValue(latest.get(id))), changed);
      }),
      debouncedCondition(
        {
          alarmId: `${rule.id}:${rule.condition}`,
          extract: (r) => (typeof r.value === 'boolean' ? r.value : undefined),
          raise: (c) => c,
          clear: (c) => !c,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
        },
        ctx.scheduler,
      ),
      // The alarm shows the value of its point, not the truth of the expression.
      map((u) => ({ ...u, value: shownValue })),
    );
  },
};
