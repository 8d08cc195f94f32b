import { map, merge } from 'rxjs';
import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { RuleKind } from '../condition.js';
import { debouncedCondition, numericValue } from '../debounced-condition.js';
import { alarmDefinition, conditionCodeSchema, derivedReading, ruleBaseFields, valueMatches } from './common.js';

/**
 * M-out-of-N voting over redundant channels (2oo3 gas detectors, 1oo2 pressure switches), with
 * degradation when channels are Bad.
 *
 * ```yaml
 * - id: gh1-co-2oo3
 *   kind: vote
 *   voting: 2oo3                          # MooN; N must equal the number of channels
 *   channels: [gh1.co_a, gh1.co_b, gh1.co_c]
 *   above: 160                            # a channel trips at ≥ 160 (or below: …, or when: true for contacts)
 *   deadband: 5                           # a tripped channel resets below 155
 *   degradation: safe                     # safe | available (see below)
 *   onDelay: 2s
 *   severity: 4
 *   message: 煤气柜活塞上方一氧化碳 2oo3 报警
 * ```
 * Degradation with k channels Bad (or not yet read): `safe` votes M−k out of the N−k good ones
 * (at least 1: 2oo3 → 1oo2 → 1oo1, as IEC 61511 practice for detection); `available` keeps M
 * (capped at N−k: 2oo3 → 2oo2 → 1oo1) to avoid spurious trips. With every channel Bad the vote is
 * unknown and neither raises nor clears. Alarm id `<rule id>:VOTE`; the detail names degraded channels.
 */
export const voteRuleSchema = z
  .strictObject({
    ...ruleBaseFields,
    kind: z.literal('vote'),
    voting: z.string().regex(/^[1-9]oo[1-9]$/, 'voting is MooN such as 2oo3 or 1oo2'),
    channels: z.array(z.string().min(1)).min(2).max(9),
    above: z.number().optional(),
    below: z.number().optional(),
    when: z.union([z.boolean(), z.number()]).optional(),
    deadband: z.number().nonnegative().default(0),
    degradation: z.enum(['safe', 'available']).default('safe'),
    onDelay: durationSchema.default(0),
    offDelay: durationSchema.default(0),
    point: z.string().min(1).optional(),
    condition: conditionCodeSchema.default('VOTE'),
  })
  .superRefine((r, ctx) => {
    const [m, n] = r.voting.split('oo').map(Number) as [number, number];
    if (m > n) ctx.addIssue({ code: 'custom', path: ['voting'], message: `${r.voting}: M cannot exceed N` });
    if (n !== r.channels.length) ctx.addIssue({ code: 'custom', path: ['channels'], message: `${r.voting} needs ${n} channels, got ${r.channels.length}` });
    if (new Set(r.channels).size !== r.channels.length) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'channels must be different points' });
    const trips = [r.above, r.below, r.when].filter((t) => t !== undefined).length;
    if (trips !== 1) ctx.addIssue({ code: 'custom', path: ['above'], message: 'give exactly one of above, below or when (the channel trip condition)' });
  });
export type VoteRule = z.infer<typeof voteRuleSchema>;

export interface VoteResult {
  /** undefined: every channel Bad. */
  tripped: boolean | undefined;
  /** Effective arrangement, e.g. "1oo2" after one channel of 2oo3 went Bad. */
  arrangement: string;
  badChannels: string[];
}

/** The vote over channel states (undefined = Bad): pure, for tests and the operator. */
export function vote(m: number, states: readonly (boolean | undefined)[], ids: readonly string[], degradation: 'safe' | 'available'): VoteResult {
  const good = states.filter((s): s is boolean => s !== undefined);
  const bad = ids.filter((_, i) => states[i] === undefined);
  if (good.length === 0) return { tripped: undefined, arrangement: `0oo${states.length}`, badChannels: bad };
  const needed = degradation === 'safe' ? Math.max(1, m - bad.length) : Math.min(m, good.length);
  const trippedCount = good.filter((s) => s).length;
  return { tripped: trippedCount >= needed, arrangement: `${needed}oo${good.length}`, badChannels: bad };
}

export const voteRule: RuleKind<typeof voteRuleSchema> = {
  kind: 'vote',
  schema: voteRuleSchema,
  inputs: (rule) => [...new Set([...(rule.point ? [rule.point] : []), ...rule.channels])],
  alarms: (rule) => [alarmDefinition(rule, `${rule.id}:${rule.condition}`, rule.point ?? rule.channels[0]!, rule.condition, { limit: rule.above ?? rule.below })],
  build: (rule, ctx) => {
    const m = Number(rule.voting.split('oo')[0]);
    // Per-channel trip state with hysteresis; undefined while the channel is Bad or unread.
    const states: (boolean | undefined)[] = rule.channels.map(() => undefined);
    const tripped: boolean[] = rule.channels.map(() => false);
    const channelState = (i: number, r: Reading): boolean | undefined => {
      if (isBad(r.quality)) return undefined;
      if (rule.when !== undefined) return valueMatches(r.value, rule.when);
      const v = numericValue(r);
      if (v === undefined) return undefined;
      if (rule.above !== undefined) tripped[i] = tripped[i] ? v >= rule.above - rule.deadband : v >= rule.above;
      else tripped[i] = tripped[i] ? v <= rule.below! + rule.deadband : v <= rule.below!;
      return tripped[i];
    };
    let last: VoteResult | undefined;
    const values: (Reading['value'] | undefined)[] = rule.channels.map(() => undefined);
    // The alarm shows the most extreme healthy channel (highest for above, lowest for below).
    const shownValue = (): Reading['value'] => {
      const nums = values.filter((v): v is number => typeof v === 'number');
      if (rule.when !== undefined || nums.length === 0) return last?.tripped ?? null;
      return rule.above !== undefined ? Math.max(...nums) : Math.min(...nums);
    };
    const alarmId = `${rule.id}:${rule.condition}`;
    return merge(...rule.channels.map((id, i) => ctx.point$(id).pipe(map((r) => ({ i, r }))))).pipe(
      map(({ i, r }) => {
        states[i] = channelState(i, r);
        values[i] = states[i] === undefined ? undefined : r.value;
        last = vote(m, states, rule.channels, rule.degradation);
        return derivedReading(rule.id, last.tripped, r);
      }),
      debouncedCondition(
        {
          alarmId,
          extract: (r) => (typeof r.value === 'boolean' ? r.value : undefined),
          raise: (t) => t,
          clear: (t) => !t,
          onDelayMs: rule.onDelay,
          offDelayMs: rule.offDelay,
          ...(rule.above ?? rule.below) !== undefined ? { limit: (rule.above ?? rule.below)! } : {},
        },
        ctx.scheduler,
      ),
      map((u) => {
        const degraded = last && last.badChannels.length > 0 ? `通道 ${last.badChannels.join(', ')} 质量坏，表决降级为 ${last.arrangement}` : undefined;
        const shown = { ...u, value: shownValue() };
        return degraded ? { ...shown, detail: degraded } : shown;
      }),
    );
  },
};
