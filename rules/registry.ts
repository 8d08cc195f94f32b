import { z } from 'zod';
import type { RuleKind } from './condition.js';
import { deviationRule, deviationRuleSchema } from './kinds/deviation.js';
import { discreteRule, discreteRuleSchema } from './kinds/discrete.js';
import { entrySequenceRule, entrySequenceRuleSchema } from './kinds/entry-sequence.js';
import { expressionRule, expressionRuleSchema } from './kinds/expression.js';
import { frozenRule, frozenRuleSchema } from './kinds/frozen.js';
import { interlockRule, interlockRuleSchema } from './kinds/interlock.js';
import { rateOfChangeRule, rateOfChangeRuleSchema } from './kinds/rate-of-change.js';
import { sensorFaultRule, sensorFaultRuleSchema } from './kinds/sensor-fault.js';
import { staleRule, staleRuleSchema } from './kinds/stale.js';
import { stelRule, stelRuleSchema } from './kinds/stel.js';
import { timeAtLevelRule, timeAtLevelRuleSchema } from './kinds/time-at-level.js';
import { twaRule, twaRuleSchema } from './kinds/twa.js';
import { voteRule, voteRuleSchema } from './kinds/vote.js';
import { hotWorkPermitRule, hotWorkPermitRuleSchema } from './kinds/hot-work-permit.js';
import { videoEventRule, videoEventRuleSchema } from './kinds/video-event.js';

type AnyRuleKind = RuleKind<z.ZodType<{ id: string; kind: string }>>;

/**
 * Every rule kind the `rules:` section accepts. A new kind is a file under rules/kinds/ and one
 * entry in each list below (the schema list must be a literal tuple for zod's discriminated union).
 */
export const RULE_KINDS: readonly AnyRuleKind[] = [
  discreteRule,
  rateOfChangeRule,
  deviationRule,
  expressionRule,
  interlockRule,
  staleRule,
  frozenRule,
  sensorFaultRule,
  voteRule,
  stelRule,
  twaRule,
  timeAtLevelRule,
  entrySequenceRule,
  hotWorkPermitRule,
  videoEventRule,
];

export const ruleSchema = z.discriminatedUnion('kind', [
  discreteRuleSchema,
  rateOfChangeRuleSchema,
  deviationRuleSchema,
  expressionRuleSchema,
  interlockRuleSchema,
  staleRuleSchema,
  frozenRuleSchema,
  sensorFaultRuleSchema,
  voteRuleSchema,
  stelRuleSchema,
  twaRuleSchema,
  timeAtLevelRuleSchema,
  entrySequenceRuleSchema,
  hotWorkPermitRuleSchema,
  videoEventRuleSchema,
]);
export type RuleConfig = z.infer<typeof ruleSchema>;

export function ruleKind(kind: string): AnyRuleKind {
  const k = RULE_KINDS.find((r) => r.kind === kind);
  if (!k) throw new Error(`unknown rule kind ${kind}`);
  return k;
}
