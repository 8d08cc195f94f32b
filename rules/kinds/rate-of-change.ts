import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';
import { ConditionDebouncer, numericValue, runMachines, type ReadingMachine } from '../debounced-condition.js';
import { alarmDefinition, conditionCodeSchema, ruleBaseFields } from './common.js';

/**
 * Rate of change of one point, rising or falling.
 *
 * ```yaml
 * - id: gh1-level-falling
 *   kind: rate-of-change
 *   point: gh1.level          # 煤气柜柜位
 *   direction: falling        # rising | falling
 *   limit: 0.5                # engineering units per `per`, always positive
 *   per: min                  # s | min
 *   window: 30s               # the rate is taken over at least this span of readings
 *   deadband: 0.1             # clears below limit − deadband
 *   onDelay: 5s
 *   offDelay: 10s
 *   severity: 3
 *   message: 煤气柜柜位下降过快
 * ```
 * Alarm id `<point>:ROC_RISE` or `<point>:ROC_FALL` (or `condition:` to name it).
 */
export const rateOfChangeRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('rate-of-change'),
  point: z.string().min(1),
  direction: z.enum(['rising', 'falling']),
  limit: z.number().positive(),
  per: z.enum(['s', 'min']).default('min'),
  window: durationSchema.default(10_000).refine((ms) => ms > 0, 'window must be longer than 0'),
  deadband: z.number().nonnegative().default(0),
  onDelay: durationSchema.default(0),
  offDelay: durationSchema.default(0),
  condition: conditionCodeSchema.optional(),
});
export type RateOfChangeRule = z.infer<typeof rateOfChangeRuleSchema>;

const condition = (rule: RateOfChangeRule) => rule.condition ?? (rule.direction === 'rising' ? 'ROC_RISE' : 'ROC_FALL');

/**
 * The rate of a point (units per `perMs`), taken between the newest reading and the newest one at
 * least `windowMs` older, by source timestamps; null (unknown) until a full window of Good history
 * exists. History is kept as parallel number arrays from `head` on: no object per reading.
 */
export class RateTracker {
  private readonly ts: number[] = [];
  private readonly vs: number[] = [];
  private head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly perMs = 1000,
  ) {}

  /** Adds a good value at time t and returns the rate, or null while the window is not yet full. */
  add(t: number, v: number): number | null {
    const { ts, vs } = this;
    // A clock step backwards (device resync) makes the old history meaningless.
    if (ts.length > this.head && t <= ts[ts.length - 1]!) {
      ts.length = 0;
      vs.length = 0;
      this.head = 0;
    }
    ts.push(t);
    vs.push(v);
    // Keep exactly one sample at or before t − window: the base of the rate.
    while (ts.length - this.head >= 2 && ts[this.head + 1]! <= t - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > ts.length) {
      ts.splice(0, this.head);
      vs.splice(0, this.head);
      this.head = 0;
    }
    const baseTs = ts[this.head]!;
    return baseTs <= t - this.windowMs ? ((v - vs[this.head]!) * this.perMs) / (t - baseTs) : null;
  }
}

/**
 * Rate tracking and the alarm's debouncer in one machine on the point's stream: one hop from the bus
 * and no allocation per reading (the rate goes to the debouncer in one reused Reading, which the
 * debouncer does not keep).
 */
class RateOfChangeMachine implements ReadingMachine {
  private readonly tracker: RateTracker;
  private readonly debouncer: ConditionDebouncer<number>;
  private readonly rate: Reading = { point: '', value: null, quality: 'Good', ts: 0, receivedAt: 0 };

  constructor(rule: RateOfChangeRule, scheduler: SchedulerLike, emit: (u: ConditionUpdate) => void) {
    this.tracker = new RateTracker(rule.window, rule.per === 'min' ? 60_000 : 1000);
    const sign = rule.direction === 'rising' ? 1 : -1;
    this.debouncer = new ConditionDebouncer(
      {
        alarmId: `${rule.point}:${condition(rule)}`,
        extract: (r) => (typeof r.value === 'number' ? sign * r.value : undefined),
        raise: (rate) => rate >= rule.limit,
        clear: (rate) => rate < rule.limit - rule.deadband,
        onDelayMs: rule.onDelay,
        offDelayMs: rule.offDelay,
        limit: rule.limit,
      },
      scheduler,
      emit,
    );
  }

  next(r: Reading, bad: boolean): void {
    const v = bad ? undefined : numericValue(r);
    const out = this.rate;
    out.point = r.point;
    out.quality = r.quality;
    out.ts = r.ts;
    out.receivedAt = r.receivedAt;
    out.value = v === undefined ? null : this.tracker.add(r.ts, v);
    this.debouncer.next(out, bad);
  }

  dispose(): void {
    this.debouncer.dispose();
  }
}

export const rateOfChangeRule: RuleKind<typeof rateOfChangeRuleSchema> = {
  kind: 'rate-of-change',
  schema: rateOfChangeRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [alarmDefinition(rule, `${rule.point}:${condition(rule)}`, rule.point, condition(rule), { limit: rule.limit })],
  build: (rule, ctx) => ctx.point$(rule.point).pipe(runMachines((emit) => [new RateOfChangeMachine(rule, ctx.scheduler, emit)])),
};
