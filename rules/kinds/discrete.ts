import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { durationSchema } from '../../gateway/core/duration.js';
import type { Reading } from '../../gateway/core/reading.js';
import { conditionLabel, type RuleKind } from '../condition.js';
import { debouncedCondition } from '../debounced-condition.js';

/** A state alarm on a bit or an enumerated value: airlock fault, spark detected, fan tripped. */
export const discreteRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('discrete'),
  point: z.string().min(1),
  /** The value that means "alarm": true for a fault bit, a number for an enumerated status. */
  alarmWhen: z.union([z.boolean(), z.number()]).default(true),
  condition: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'condition is an upper-case code such as FAULT').default('FAULT'),
  severity: severitySchema.default(2),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
  latch: z.boolean().default(false),
  /** Chinese text, e.g. 锁气卸灰阀故障. */
  message: z.string().optional(),
  /** The standard and clause this alarm enforces; shown with every event. */
  basis: z.string().min(1).optional(),
});
export type DiscreteRule = z.infer<typeof discreteRuleSchema>;

function matches(r: Reading, when: boolean | number): boolean | undefined {
  if (r.value === null) return undefined;
  if (typeof when === 'boolean') return typeof r.value === 'boolean' ? r.value === when : (r.value !== 0) === when;
  return typeof r.value === 'number' ? r.value === when : undefined;
}

export const discreteRule: RuleKind<typeof discreteRuleSchema> = {
  kind: 'discrete',
  schema: discreteRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [
    {
      alarmId: `${rule.point}:${rule.condition}`,
      point: rule.point,
      condition: rule.condition,
      severity: rule.severity,
      label: conditionLabel(rule.condition),
      message: rule.message,
      latch: rule.latch,
      ruleId: rule.id,
      ...(rule.basis !== undefined ? { basis: rule.basis } : {}),
    },
  ],
  build: (rule, ctx) =>
    ctx.point$(rule.point).pipe(
      debouncedCondition(
        {
          alarmId: `${rule.point}:${rule.condition}`,
          extract: (r) => matches(r, rule.alarmWhen),
          raise: (m) => m,
          clear: (m) => !m,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
        },
        ctx.scheduler,
      ),
    ),
};
