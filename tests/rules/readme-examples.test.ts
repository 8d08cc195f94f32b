import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../gateway/config/load.js';
import { RULE_KINDS, ruleSchema } from '../../rules/registry.js';

const readme = readFileSync(fileURLToPath(new URL('../../rules/README.md', import.meta.url)), 'utf8');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const blocks = yamlBlocks.filter((b) => b.startsWith('- id:'));

describe('rules/README.md examples', () => {
  it('documents every rule kind with a YAML example', () => {
    const kinds = new Set(blocks.flatMap((b) => (parse(b) as { kind: string }[]).map((r) => r.kind)));
    expect([...kinds].sort()).toEqual(RULE_KINDS.map((k) => k.kind).sort());
  });

  it('has only examples that the config schema accepts', () => {
    for (const block of blocks) {
      for (const rule of parse(block) as unknown[]) {
        const r = ruleSchema.safeParse(rule);
        expect(r.success ? '' : `${JSON.stringify(rule)}: ${JSON.stringify(r.error.issues)}`).toBe('');
      }
    }
  });

  it('has a point-limits example that the config loader accepts', () => {
    const devices = yamlBlocks.find((b) => b.startsWith('devices:'));
    expect(devices).toBeDefined();
    const cfg = { gateway: { id: 'gw1', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' } }, ...(parse(devices!) as object) };
    const r = validateConfig(cfg);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
