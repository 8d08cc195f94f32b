import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition, numericValue } from '../debounced-condition.js';
import { alarmDefinition, ruleBaseFields, withDetail } from './common.js';
import type { PointDefinition } from '../../gateway/config/point-schema.js';

/** NAMUR NE 43: a 4–20 mA loop at or below 3.6 mA or at or above 21 mA is a failed device. */
export const NE43_LOW_MA = 3.6;
export const NE43_HIGH_MA = 21;

/**
 * A failed instrument, told by its value (not by a gas reading): NAMUR NE 43 for 4–20 mA signals,
 * or any plausibility range.
 *
 * ```yaml
 * - id: co101-loop
 *   kind: sensor-fault
 *   point: gas.co_101_ma      # the loop current itself, in mA
 *   signal: mA                # ≤ 3.6 mA or ≥ 21 mA → FAULT
 * - id: co102-loop
 *   kind: sensor-fault
 *   point: gas.co_102         # ppm, scaled from 4–20 mA over the point's range (or `range:` here)
 *   signal: scaled            # fault below the value of 3.6 mA or above that of 21 mA
 * - id: t-hopper-plausible
 *   kind: sensor-fault
 *   point: dc1.hopper_temp
 *   signal: engineering       # explicit bounds in engineering units
 *   low: -40
 *   high: 400
 *   onDelay: 2s
 * ```
 * Alarm id `<point>:FAULT`. A fault is a diagnostic: it tells the operator the reading cannot be
 * trusted; the reading's quality is not changed here.
 */
export const sensorFaultRuleSchema = z
  .strictObject({
    ...ruleBaseFields,
    kind: z.literal('sensor-fault'),
    point: z.string().min(1),
    signal: z.enum(['mA', 'scaled', 'engineering']).default('mA'),
    /** Engineering range that 4–20 mA maps to (signal: scaled); default: the point's range. */
    range: z.strictObject({ low: z.number(), high: z.number() }).refine((r) => r.high > r.low, 'range.high must be greater than range.low').optional(),
    low: z.number().optional(),
    high: z.number().optional(),
    onDelay: durationSchema.default(0),
    offDelay: durationSchema.default(0),
  })
  .superRefine((r, ctx) => {
    if (r.signal === 'engineering' && r.low === undefined && r.high === undefined) {
      ctx.addIssue({ code: 'custom', path: ['low'], message: 'signal: engineering needs low, high or both' });
    }
    if (r.signal !== 'engineering' && (r.low !== undefined || r.high !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [r.low !== undefined ? 'low' : 'high'], message: `low/high are for signal: engineering; signal: ${r.signal} uses the NAMUR NE 43 limits` });
    }
    if (r.signal !== 'scaled' && r.range) ctx.addIssue({ code: 'custom', path: ['range'], message: 'range is only used with signal: scaled' });
    if (r.low !== undefined && r.high !== undefined && !(r.low < r.high)) ctx.addIssue({ code: 'custom', path: ['high'], message: 'high must be greater than low' });
  });
export type SensorFaultRule = z.infer<typeof sensorFaultRuleSchema>;

/** The fault bounds in the point's units, or a reason they cannot be known. */
export function faultBounds(rule: SensorFaultRule, point: PointDefinition | undefined): { low?: number; high?: number } | string {
  if (rule.signal === 'mA') return { low: NE43_LOW_MA, high: NE43_HIGH_MA };
  if (rule.signal === 'engineering') return { ...(rule.low !== undefined ? { low: rule.low } : {}), ...(rule.high !== undefined ? { high: rule.high } : {}) };
  const range = rule.range ?? point?.range;
  if (!range) return `rule ${rule.id}: signal: scaled needs the range of point ${rule.point} (range: { low, high } on the point or the rule)`;
  const perMa = (range.high - range.low) / 16;
  return { low: range.low + (NE43_LOW_MA - 4) * perMa, high: range.low + (NE43_HIGH_MA - 4) * perMa };
}

export const sensorFaultRule: RuleKind<typeof sensorFaultRuleSchema> = {
  kind: 'sensor-fault',
  schema: sensorFaultRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:FAULT`, rule.point, 'FAULT')],
  check: (rule, points) => {
    const bounds = faultBounds(rule, points.get(rule.point));
    return typeof bounds === 'string' ? [{ path: ['signal'], message: bounds }] : [];
  },
  build: (rule, ctx) => {
    const bounds = faultBounds(rule, ctx.point(rule.point));
    // check() makes this a config error; a config that skipped validation still fails loudly.
    if (typeof bounds === 'string') throw new Error(bounds);
    const { low, high } = bounds;
    let which = '';
    return ctx.point$(rule.point).pipe(
      debouncedCondition(
        {
          alarmId: `${rule.point}:FAULT`,
          extract: numericValue,
          raise: (v) => {
            which = low !== undefined && v <= low ? 'low' : 'high';
            return (low !== undefined && v <= low) || (high !== undefined && v >= high);
          },
          clear: (v) => (low === undefined || v > low) && (high === undefined || v < high),
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
        },
        ctx.scheduler,
      ),
      withFaultDetail(() => which, rule.signal),
    );
  },
};

function withFaultDetail(which: () => string, signal: SensorFaultRule['signal']) {
  return withDetail((u) => {
    if (!u.active) return undefined;
    const low = which() === 'low';
    if (signal === 'engineering') return low ? '测量值低于量程下限，仪表故障' : '测量值高于量程上限，仪表故障';
    return low ? '回路电流 ≤ 3.6 mA (NAMUR NE 43)，断线或变送器故障' : '回路电流 ≥ 21 mA (NAMUR NE 43)，短路或变送器故障';
  });
}
