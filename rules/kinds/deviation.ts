import { Observable, Subscription } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';
import { ConditionDebouncer } from '../debounced-condition.js';
import { alarmDefinition, conditionCodeSchema, onReadings, ruleBaseFields, usableValue } from './common.js';

/**
 * Deviation of a point from a reference point: inlet minus outlet flow, a measurement against its
 * setpoint, or two redundant transmitters of the same quantity.
 *
 * ```yaml
 * - id: bof1-lance-water-diff
 *   kind: deviation
 *   point: bof1.lance_water_in     # 氧枪冷却水进水流量
 *   reference: bof1.lance_water_out  # 氧枪冷却水出水流量 (or a setpoint point)
 *   direction: high                # high: point − reference ≥ limit
 *                                  # low:  point − reference ≤ −limit
 *                                  # both: |point − reference| ≥ limit (redundant transmitters)
 *   limit: 8                       # engineering units of the point
 *   deadband: 1
 *   onDelay: 3s
 *   severity: 4
 *   message: 1#转炉氧枪冷却水进出水流量差大，疑似漏水
 * ```
 * Alarm id `<rule id>:DEV`. Either point Bad or not yet read: neither raise nor clear.
 */
export const deviationRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('deviation'),
  point: z.string().min(1),
  reference: z.string().min(1),
  direction: z.enum(['high', 'low', 'both']).default('both'),
  limit: z.number().positive(),
  deadband: z.number().nonnegative().default(0),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
  condition: conditionCodeSchema.default('DEV'),
});
export type DeviationRule = z.infer<typeof deviationRuleSchema>;

export const deviationRule: RuleKind<typeof deviationRuleSchema> = {
  kind: 'deviation',
  schema: deviationRuleSchema,
  inputs: (rule) => [rule.point, rule.reference],
  alarms: (rule) => [alarmDefinition(rule, `${rule.id}:${rule.condition}`, rule.point, rule.condition, { limit: rule.limit })],
  build: (rule, ctx) =>
    new Observable<ConditionUpdate>((subscriber) => {
      // The signed deviation, turned so that "more deviating" is always larger.
      const measure = (diff: number) => (rule.direction === 'high' ? diff : rule.direction === 'low' ? -diff : Math.abs(diff));
      const debouncer = new ConditionDebouncer<number>(
        {
          alarmId: `${rule.id}:${rule.condition}`,
          extract: (r) => (typeof r.value === 'number' ? measure(r.value) : undefined),
          raise: (d) => d >= rule.limit,
          clear: (d) => d < rule.limit - rule.deadband,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
          limit: rule.limit,
        },
        ctx.scheduler,
        (u) => subscriber.next(u),
      );
      // Latest usable values of both inputs; the difference goes to the debouncer in one reused
      // Reading (it keeps none). Either input Bad or not yet read: a Bad difference, which neither
      // raises nor clears.
      let a: number | undefined;
      let b: number | undefined;
      const diff: Reading = { point: rule.id, value: null, quality: 'Bad', ts: 0, receivedAt: 0 };
      const update = (r: Reading, isPoint: boolean) => {
        const v = usableValue(r);
        const n = typeof v === 'number' ? v : undefined;
        if (isPoint) a = n;
        else b = n;
        diff.ts = r.ts;
        diff.receivedAt = r.receivedAt;
        const known = a !== undefined && b !== undefined;
        diff.value = known ? a! - b! : null;
        diff.quality = known ? 'Good' : 'Bad';
        debouncer.next(diff, !known);
      };
      const subs = new Subscription();
      subs.add(onReadings(ctx, rule.point, (r) => update(r, true)));
      subs.add(onReadings(ctx, rule.reference, (r) => update(r, false)));
      subs.add(() => debouncer.dispose());
      return subs;
    }),
};
