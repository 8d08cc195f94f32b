import { EMPTY, map, merge, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { durationSchema, formatDuration } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { AlarmDefinition, ConditionUpdate, RuleContext, RuleKind } from '../condition.js';
import { debouncedCondition } from '../debounced-condition.js';
import { compileCondition, conditionPoints, type CompiledExpression } from '../expression/compile.js';
import {
  alarmDefinition,
  conditionExpressionSchema,
  derivedReading,
  gateOpen,
  gateSchema,
  latestReadings,
  ruleBaseFields,
  usableValue,
  valueMatches,
} from './common.js';

/**
 * Interlock supervision, two checks in one rule (give either or both):
 * - armed: the interlock must be armed (投入) while the equipment runs → `<rule id>:BYPASS`;
 * - demand → action: once the demand condition holds, the action must follow within `within`,
 *   else `<rule id>:INTERLOCK` (red by default, latched by default).
 *
 * ```yaml
 * - id: bf1-top-relief
 *   kind: interlock
 *   point: bf1.top_pressure               # optional: the point the alarms show under
 *   whileRunning: { point: bf1.running, equals: true }   # armed is only required while running
 *   armed: { point: bf1.relief_interlock_armed, equals: true }
 *   armedDelay: 5s                        # not armed for this long while running → BYPASS
 *   bypassSeverity: 3
 *   demand: bf1.top_pressure >= bf1.relief_set   # condition X
 *   action: bf1.relief_valve_open                # must become true …
 *   within: 3s                                   # … within T
 *   severity: 4
 *   message: 1#高炉炉顶压力联锁放散未动作
 * ```
 * Unknown demand or action (a Bad input) neither starts, fails nor clears the supervision; an
 * expired wait whose action is unknown fails as soon as the action is known to be false.
 */
export const interlockRuleSchema = z
  .strictObject({
    ...ruleBaseFields,
    kind: z.literal('interlock'),
    point: z.string().min(1).optional(),
    severity: severitySchema.default(4),
    latch: z.boolean().default(true),
    whileRunning: gateSchema.optional(),
    armed: gateSchema.optional(),
    armedDelay: durationSchema.default(0),
    bypassSeverity: severitySchema.default(3),
    demand: conditionExpressionSchema.optional(),
    action: conditionExpressionSchema.optional(),
    within: durationSchema.optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.armed && r.demand === undefined) ctx.addIssue({ code: 'custom', message: 'an interlock rule needs armed, or demand with action and within, or both' });
    if (r.demand !== undefined) {
      if (r.action === undefined) ctx.addIssue({ code: 'custom', path: ['action'], message: 'demand needs action: the condition that shows the interlock acted' });
      if (r.within === undefined) ctx.addIssue({ code: 'custom', path: ['within'], message: 'demand needs within: how long the action may take, e.g. 3s' });
    } else {
      if (r.action !== undefined) ctx.addIssue({ code: 'custom', path: ['action'], message: 'action needs demand: the condition that calls for it' });
      if (r.within !== undefined) ctx.addIssue({ code: 'custom', path: ['within'], message: 'within needs demand and action' });
    }
    if (r.whileRunning && !r.armed) ctx.addIssue({ code: 'custom', path: ['whileRunning'], message: 'whileRunning gates the armed check; add armed or remove it' });
  });
export type InterlockRule = z.infer<typeof interlockRuleSchema>;

function displayPoint(rule: InterlockRule): string {
  return rule.point ?? rule.armed?.point ?? conditionPoints(rule.demand ?? '')[0] ?? rule.id;
}

/**
 * The demand → action watchdog. States: idle; waiting (demand true, action not yet, timer running);
 * overdue (timer expired while the action was unknown); failed (alarm raised).
 */
function demandWatch(
  alarmId: string,
  demand: CompiledExpression,
  action: CompiledExpression,
  withinMs: number,
  shown: string,
  ctx: RuleContext,
): Observable<ConditionUpdate> {
  const scheduler: SchedulerLike = ctx.scheduler;
  const ids = [...new Set([...demand.points, ...action.points, shown])];
  return new Observable<ConditionUpdate>((subscriber) => {
    let phase: 'idle' | 'waiting' | 'overdue' | 'failed' = 'idle';
    // The first known "no failure" is reported: the alarm manager may hold this alarm active from
    // before a restart (see debouncedCondition).
    let known = false;
    let timer: Subscription | undefined;
    let lastAction: boolean | undefined;
    let shownValue: number | boolean | null = null;
    const detail = `联锁要求出现后 ${formatDuration(withinMs)} 内未动作`;
    const emit = (active: boolean, ts: number) => {
      known = true;
      const u: ConditionUpdate = { alarmId, active, value: shownValue, ts };
      if (active) u.detail = detail;
      subscriber.next(u);
    };
    const stopTimer = () => {
      timer?.unsubscribe();
      timer = undefined;
    };
    const sub = latestReadings(ctx, ids).subscribe({
      next({ latest, changed }) {
        const get = (id: string) => usableValue(latest.get(id));
        const d = demand.evaluate(get);
        const a = action.evaluate(get);
        lastAction = a;
        shownValue = get(shown) ?? null;
        switch (phase) {
          case 'idle':
            if (!known && (a === true || d === false)) emit(false, changed.ts);
            else if (d === true && a === false) {
              phase = 'waiting';
              timer = scheduler.schedule(() => {
                timer = undefined;
                if (lastAction === false) {
                  phase = 'failed';
                  emit(true, scheduler.now());
                } else phase = 'overdue';
              }, withinMs);
            }
            break;
          case 'waiting':
            if (a === true || d === false) {
              stopTimer();
              phase = 'idle';
            }
            break;
          case 'overdue':
            if (a === true || d === false) phase = 'idle';
            else if (a === false) {
              phase = 'failed';
              emit(true, changed.ts);
            }
            break;
          case 'failed':
            if (a === true || d === false) {
              phase = 'idle';
              emit(false, changed.ts);
            }
            break;
        }
      },
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => {
      stopTimer();
      sub.unsubscribe();
    };
  });
}

export const interlockRule: RuleKind<typeof interlockRuleSchema> = {
  kind: 'interlock',
  schema: interlockRuleSchema,
  inputs: (rule) => [
    ...new Set([
      ...(rule.point ? [rule.point] : []),
      ...(rule.whileRunning ? [rule.whileRunning.point] : []),
      ...(rule.armed ? [rule.armed.point] : []),
      ...conditionPoints(rule.demand ?? ''),
      ...conditionPoints(rule.action ?? ''),
    ]),
  ],
  alarms: (rule) => {
    const shown = displayPoint(rule);
    const defs: AlarmDefinition[] = [];
    if (rule.armed) defs.push(alarmDefinition(rule, `${rule.id}:BYPASS`, shown, 'BYPASS', { severity: rule.bypassSeverity }));
    if (rule.demand !== undefined) defs.push(alarmDefinition(rule, `${rule.id}:INTERLOCK`, shown, 'INTERLOCK'));
    return defs;
  },
  build: (rule, ctx) => {
    const shown = displayPoint(rule);
    const parts: Observable<ConditionUpdate>[] = [];
    const armed = rule.armed;
    if (armed) {
      const gate = rule.whileRunning;
      let armedValue: number | boolean | null = null;
      parts.push(
        latestReadings(ctx, gate ? [armed.point, gate.point] : [armed.point]).pipe(
          map(({ latest, changed }) => {
            // Bypassed = running and not armed. Stopped equipment needs no interlock.
            const running = gate ? gateOpen(latest.get(gate.point), gate) : true;
            const ar = latest.get(armed.point);
            armedValue = usableValue(ar) ?? null;
            const isArmed = ar && !isBad(ar.quality) ? valueMatches(ar.value, armed.equals) : undefined;
            const bypassed = running === false ? false : running === undefined || isArmed === undefined ? undefined : !isArmed;
            return derivedReading(rule.id, bypassed, changed);
          }),
          debouncedCondition(
            {
              alarmId: `${rule.id}:BYPASS`,
              extract: (r) => (typeof r.value === 'boolean' ? r.value : undefined),
              raise: (b) => b,
              clear: (b) => !b,
              onDelayMs: rule.armedDelay,
              offDelayMs: 0,
            },
            ctx.scheduler,
          ),
          // The alarm shows the armed signal itself, not the derived "bypassed" truth value.
          map((u) => (u.active ? { ...u, value: armedValue, detail: gate ? '设备运行中联锁未投入' : '联锁未投入' } : { ...u, value: armedValue })),
        ),
      );
    }
    if (rule.demand !== undefined && rule.action !== undefined && rule.within !== undefined) {
      parts.push(demandWatch(`${rule.id}:INTERLOCK`, compileCondition(rule.demand), compileCondition(rule.action), rule.within, shown, ctx));
    }
    return parts.length > 0 ? merge(...parts) : EMPTY;
  },
};
