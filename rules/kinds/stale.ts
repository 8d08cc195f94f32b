import { Observable, type Subscription } from 'rxjs';
import { z } from 'zod';
import { durationSchema, formatDuration } from '../../gateway/core/duration.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';
import { alarmDefinition, ruleBaseFields } from './common.js';

/**
 * No update of a point within N × its expected period: the driver, the device or the link has
 * stopped delivering, even if no Bad quality says so.
 *
 * ```yaml
 * - id: co101-stale
 *   kind: stale
 *   point: gas.co_101
 *   expectedPeriod: 1s      # how often readings normally come (the poll interval)
 *   factor: 3               # N: stale after 3 × 1s without any reading
 *   severity: 2
 *   message: 加压机房一氧化碳数据停止更新
 * ```
 * Alarm id `<point>:STALE`. Any reading counts as an update, whatever its quality (a Bad one raises
 * the lead's BAD_QUALITY diagnostic instead). The watch starts at subscription, so a point that
 * never reports goes stale too. Time is the scheduler's.
 */
export const staleRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('stale'),
  point: z.string().min(1),
  expectedPeriod: durationSchema.refine((ms) => ms > 0, 'expectedPeriod must be longer than 0'),
  factor: z.number().min(1).default(3),
});
export type StaleRule = z.infer<typeof staleRuleSchema>;

export const staleRule: RuleKind<typeof staleRuleSchema> = {
  kind: 'stale',
  schema: staleRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:STALE`, rule.point, 'STALE')],
  build: (rule, ctx) =>
    new Observable<ConditionUpdate>((subscriber) => {
      const alarmId = `${rule.point}:STALE`;
      const timeoutMs = rule.expectedPeriod * rule.factor;
      let active = false;
      // The first reading reports "not stale" even without a change here: the alarm manager may
      // hold this alarm active from before a restart (see debouncedCondition).
      let known = false;
      let lastValue: ConditionUpdate['value'] = null;
      let timer: Subscription | undefined;
      const arm = () => {
        timer?.unsubscribe();
        timer = ctx.scheduler.schedule(() => {
          timer = undefined;
          active = true;
          known = true;
          subscriber.next({ alarmId, active: true, value: lastValue, ts: ctx.scheduler.now(), detail: `超过 ${formatDuration(timeoutMs)} 未收到数据` });
        }, timeoutMs);
      };
      arm();
      const sub = ctx.point$(rule.point).subscribe({
        next(r) {
          lastValue = r.value;
          if (active || !known) {
            active = false;
            known = true;
            subscriber.next({ alarmId, active: false, value: r.value, ts: ctx.scheduler.now() });
          }
          arm();
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer?.unsubscribe();
        sub.unsubscribe();
      };
    }),
};
