import { map } from 'rxjs';
import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { durationSchema, formatDuration } from '../../gateway/core/duration.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition } from '../debounced-condition.js';
import { CO_TIME_AT_LEVEL_PPM, MINUTE_MS, type TimeAtLevelVerdict } from '../exposure/math.js';
import { timeAtLevelReadings } from '../exposure/operators.js';
import { alarmDefinition, ruleBaseFields } from './common.js';

/**
 * Continuous time at a concentration level against the time allowed there. Default table: CO in
 * gas areas (GB 6222, DOMAIN.md) — ≤ 24 ppm continuous, ≤ 40 ppm at most 1 h, ≤ 80 ppm at most
 * 30 min, ≤ 160 ppm at most 15 min, above 160 ppm not at all.
 *
 * ```yaml
 * - id: co101-time-at-level
 *   kind: time-at-level
 *   point: gas.co_101           # ppm
 *   severity: 3
 *   message: 加压机房一氧化碳超时接触，请撤离人员
 *   # levels:                   # optional; the default is the CO table above
 *   #   - { above: 24, max: 1h }
 *   #   - { above: 40, max: 30m }
 *   #   - { above: 80, max: 15m }
 *   #   - { above: 160, max: 0s }
 * ```
 * Resolution is one minute: a minute counts at a level when its mean is above it, a minute
 * without data neither extends nor resets the count. Alarm id `<point>:TIME_AT_LEVEL`; clears
 * when no level is exceeded any more. The immediate alarm at 160 ppm is the point's HH limit
 * (preset CO_GAS_AREA), not this rule.
 */
export const timeAtLevelRuleSchema = z.strictObject({
  ...ruleBaseFields,
  severity: severitySchema.default(3),
  kind: z.literal('time-at-level'),
  point: z.string().min(1),
  levels: z
    .array(z.strictObject({ above: z.number(), max: durationSchema }))
    .min(1)
    .superRefine((levels, ctx) => {
      levels.forEach((l, i) => {
        const prev = levels[i - 1];
        if (prev && !(l.above > prev.above)) ctx.addIssue({ code: 'custom', path: [i, 'above'], message: 'levels must be in increasing order of above' });
        if (prev && !(l.max <= prev.max)) ctx.addIssue({ code: 'custom', path: [i, 'max'], message: 'a higher level cannot allow more time than a lower one' });
      });
    })
    .optional(),
  offDelay: durationSchema.default(0),
});
export type TimeAtLevelRule = z.infer<typeof timeAtLevelRuleSchema>;

function levelsOf(rule: TimeAtLevelRule) {
  return rule.levels ? rule.levels.map((l) => ({ level: l.above, maxMs: l.max })) : CO_TIME_AT_LEVEL_PPM;
}

export const timeAtLevelRule: RuleKind<typeof timeAtLevelRuleSchema> = {
  kind: 'time-at-level',
  schema: timeAtLevelRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:TIME_AT_LEVEL`, rule.point, 'TIME_AT_LEVEL')],
  build: (rule, ctx) => {
    const unit = ctx.point(rule.point).unit;
    let verdict: TimeAtLevelVerdict = { exceeded: undefined, minutes: 0 };
    let mean: number | null = null;
    return ctx.point$(rule.point).pipe(
      timeAtLevelReadings(rule.id, levelsOf(rule)),
      map((x) => {
        verdict = x.verdict;
        mean = x.mean ?? mean;
        return x.reading;
      }),
      debouncedCondition(
        {
          alarmId: `${rule.point}:TIME_AT_LEVEL`,
          extract: (r) => (typeof r.value === 'boolean' ? r.value : undefined),
          raise: (b) => b,
          clear: (b) => !b,
          onDelayMs: 0,
          offDelayMs: rule.offDelay,
        },
        ctx.scheduler,
      ),
      map((u) => {
        const l = verdict.exceeded;
        // Show the last minute mean, not the truth value of the verdict.
        if (!u.active || !l) return { ...u, value: mean };
        const allowed = l.maxMs === 0 ? '不允许停留' : `限 ${formatDuration(l.maxMs)}`;
        return {
          ...u,
          value: mean,
          limit: l.level,
          detail: `浓度高于 ${l.level} ${unit} 已持续 ${formatDuration(verdict.minutes * MINUTE_MS)}（${allowed}）`,
        };
      }),
    );
  },
};
