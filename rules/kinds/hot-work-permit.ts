import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { isGood } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';

/**
 * Hot work without a valid permit (动火作业无有效作业票): a welder (焊机 一机一码) runs while the
 * time is outside the window of its hot-work permit, or no permit window is known. The permit window
 * arrives as two points (start and end, ms since epoch) from the welder-monitoring platform. Time is
 * the scheduler's, so the rule runs in virtual time in tests; a welder running when its permit ends
 * alarms at that moment, without waiting for another reading.
 */
export const hotWorkPermitRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('hot-work-permit'),
  /** Boolean point: the welder is running (or its current is above idle). */
  running: z.string().min(1),
  /** Points holding the permit window, ms since epoch. */
  permitFrom: z.string().min(1),
  permitTo: z.string().min(1),
  /** A start that the permit covers within this grace (clock differences, a permit being issued) does not alarm. */
  grace: durationSchema.default(30_000),
  severity: severitySchema.default(3),
  message: z.string().optional(),
  /** The standard and clause the alarm enforces (依据). */
  basis: z.string().min(1).optional(),
});
export type HotWorkPermitRule = z.infer<typeof hotWorkPermitRuleSchema>;

const CONDITION = 'NO_PERMIT';

function good(r: Reading): boolean {
  return isGood(r.quality) && r.value !== null;
}

/** The violation as an operator: pure, scheduler-timed. */
export function hotWorkPermitCondition(
  alarmId: string,
  running$: Observable<Reading>,
  from$: Observable<Reading>,
  to$: Observable<Reading>,
  graceMs: number,
  scheduler: SchedulerLike,
): Observable<ConditionUpdate> {
  return new Observable<ConditionUpdate>((out) => {
    let running: boolean | undefined;
    let from: number | undefined;
    let to: number | undefined;
    let active = false;
    let pending: Subscription | undefined;
    let boundary: Subscription | undefined;

    const problem = (now: number): string | undefined => {
      if (running !== true) return undefined;
      if (from === undefined || to === undefined) return '无有效动火作业票 (no permit window known)';
      if (now < from) return '动火作业票尚未生效 (before the permit window)';
      if (now >= to) return '动火作业票已过期 (after the permit window)';
      return undefined;
    };
    const evaluate = (): void => {
      const now = scheduler.now();
      const why = problem(now);
      boundary?.unsubscribe();
      boundary = undefined;
      // Re-check when the window opens or closes while the welder runs.
      if (running === true && from !== undefined && to !== undefined) {
        const next = now < from ? from : now < to ? to : undefined;
        if (next !== undefined) boundary = scheduler.schedule(evaluate, next - now);
      }
      if (why) {
        if (active || pending) return;
        pending = scheduler.schedule(() => {
          pending = undefined;
          const still = problem(scheduler.now());
          if (!still) return;
          active = true;
          out.next({ alarmId, active: true, value: true, ts: scheduler.now(), detail: still });
        }, graceMs);
      } else {
        pending?.unsubscribe();
        pending = undefined;
        if (active) {
          active = false;
          out.next({ alarmId, active: false, value: running ?? null, ts: now });
        }
      }
    };
    const subs = [
      running$.subscribe((r) => {
        if (!good(r)) return; // an unknown state changes nothing
        running = typeof r.value === 'boolean' ? r.value : r.value !== 0;
        evaluate();
      }),
      from$.subscribe((r) => {
        from = good(r) && typeof r.value === 'number' ? r.value : undefined;
        evaluate();
      }),
      to$.subscribe((r) => {
        to = good(r) && typeof r.value === 'number' ? r.value : undefined;
        evaluate();
      }),
    ];
    return () => {
      for (const s of subs) s.unsubscribe();
      pending?.unsubscribe();
      boundary?.unsubscribe();
    };
  });
}

export const hotWorkPermitRule: RuleKind<typeof hotWorkPermitRuleSchema> = {
  kind: 'hot-work-permit',
  schema: hotWorkPermitRuleSchema,
  inputs: (rule) => [rule.running, rule.permitFrom, rule.permitTo],
  alarms: (rule) => [
    {
      alarmId: `${rule.running}:${CONDITION}`,
      point: rule.running,
      condition: CONDITION,
      severity: rule.severity,
      label: '无票动火',
      message: rule.message,
      ruleId: rule.id,
      ...(rule.basis !== undefined ? { basis: rule.basis } : {}),
    },
  ],
  build: (rule, ctx) => hotWorkPermitCondition(`${rule.running}:${CONDITION}`, ctx.point$(rule.running), ctx.point$(rule.permitFrom), ctx.point$(rule.permitTo), rule.grace, ctx.scheduler),
};
