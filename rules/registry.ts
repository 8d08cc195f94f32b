import { z } from 'zod';
import type { RuleKind } from './condition.js';
import { discreteRule, discreteRuleSchema } from './kinds/discrete.js';

/**
 * Every rule kind the `rules:` section accepts. A new kind is a file under rules/kinds/ and one
 * entry in each list below (the schema list must be a literal tuple for zod's discriminated union).
 */
export const RULE_KINDS: readonly RuleKind<z.ZodType<{ id: string; kind: string }>>[] = [discreteRule as RuleKind<z.ZodType<{ id: string; kind: string }>>];

export const ruleSchema = z.discriminatedUnion('kind', [discreteRuleSchema]);
export type RuleConfig = z.infer<typeof ruleSchema>;

export function ruleKind(kind: string): RuleKind<z.ZodType<{ id: string; kind: string }>> {
  const k = RULE_KINDS.find((r) => r.kind === kind);
  if (!k) throw new Error(`unknown rule kind ${kind}`);
  return k;
}
