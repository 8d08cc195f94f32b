import { Observable } from 'rxjs';
import { z } from 'zod';
import { durationSchema, formatDuration } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';
import { numericValue } from '../debounced-condition.js';
import { alarmDefinition, gateOpen, gateSchema, latestReadings, ruleBaseFields } from './common.js';

/**
 * A value that does not move beyond `tolerance` over `window` while the equipment runs: a stuck
 * transmitter, a frozen PLC register, a blocked impulse line. Readings keep coming, so `stale`
 * does not see it.
 *
 * ```yaml
 * - id: bf1-top-pressure-frozen
 *   kind: frozen
 *   point: bf1.top_pressure
 *   window: 10m               # no change for this long …
 *   tolerance: 0.5            # … beyond this band (max − min), engineering units
 *   whileRunning: { point: bf1.running, equals: true }   # optional; stopped equipment may hold still
 *   severity: 2
 *   message: 1#高炉炉顶压力数据冻结，请检查变送器
 * ```
 * Alarm id `<point>:FROZEN`. Clears when the value moves beyond the tolerance or the equipment
 * stops. A Bad reading restarts the window without raising or clearing. Judged when a reading
 * arrives (no readings at all is the stale rule's case); time is the scheduler's.
 */
export const frozenRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('frozen'),
  point: z.string().min(1),
  window: durationSchema.refine((ms) => ms > 0, 'window must be longer than 0'),
  tolerance: z.number().nonnegative().default(0),
  whileRunning: gateSchema.optional(),
});
export type FrozenRule = z.infer<typeof frozenRuleSchema>;

export const frozenRule: RuleKind<typeof frozenRuleSchema> = {
  kind: 'frozen',
  schema: frozenRuleSchema,
  inputs: (rule) => [rule.point, ...(rule.whileRunning ? [rule.whileRunning.point] : [])],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:FROZEN`, rule.point, 'FROZEN', { limit: rule.tolerance })],
  build: (rule, ctx) =>
    new Observable<ConditionUpdate>((subscriber) => {
      const alarmId = `${rule.point}:FROZEN`;
      const gate = rule.whileRunning;
      let active = false;
      // Until the condition has been reported once, a known "not frozen" is reported too: the
      // alarm manager may hold this alarm active from before a restart (see debouncedCondition).
      let known = false;
      // The band of values seen since the window started; undefined while no window runs.
      let band: { min: number; max: number; since: number } | undefined;
      const stopWindow = () => {
        band = undefined;
      };
      const startWindow = (v: number) => {
        band = { min: v, max: v, since: ctx.scheduler.now() };
      };
      let lastValue: number | null = null;
      const clear = (ts: number) => {
        if (!active && known) return;
        active = false;
        known = true;
        subscriber.next({ alarmId, active: false, value: lastValue, ts, limit: rule.tolerance });
      };
      const sub = latestReadings(ctx, gate ? [rule.point, gate.point] : [rule.point]).subscribe({
        next({ latest, changed }) {
          const running = gate ? gateOpen(latest.get(gate.point), gate) : true;
          if (running === undefined) return stopWindow(); // unknown: hold the state, restart later
          if (!running) {
            stopWindow();
            return clear(ctx.scheduler.now());
          }
          const r = latest.get(rule.point);
          const v = r && !isBad(r.quality) ? numericValue(r) : undefined;
          if (v === undefined) return stopWindow();
          if (changed.point !== rule.point && band) return; // a gate update while the window runs
          lastValue = v;
          if (!band) return startWindow(v);
          const min = Math.min(band.min, v);
          const max = Math.max(band.max, v);
          if (max - min > rule.tolerance) {
            clear(ctx.scheduler.now());
            return startWindow(v);
          }
          band = { min, max, since: band.since };
          // Judged on a reading, not by a timer: with no readings at all it is the stale rule's case.
          if (!active && ctx.scheduler.now() - band.since >= rule.window) {
            active = true;
            known = true;
            subscriber.next({
              alarmId,
              active: true,
              value: v,
              ts: ctx.scheduler.now(),
              limit: rule.tolerance,
              detail: `${formatDuration(rule.window)} 内变化不超过 ${rule.tolerance}`,
            });
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    }),
};
