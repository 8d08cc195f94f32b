import { describe, expect, it } from 'vitest';
import { formatConfigErrors, parseConfigText } from '../../../gateway/config/load.js';
import { pointDefinitions } from '../../../gateway/config/schema.js';
import { bigConfigYaml } from '../../helpers/big-config.js';

// Correctness on a plant-sized config (timing is measured by `npm run bench:config`, not here).
describe('a plant-sized config', () => {
  const POINTS = 10_000;
  const text = bigConfigYaml(POINTS);

  it('validates with every point, limit and rule in place', () => {
    const r = parseConfigText(text);
    if (!r.ok) throw new Error(formatConfigErrors('big.yaml', r.errors.slice(0, 5)));
    expect(r.config.devices).toHaveLength(POINTS / 100);
    expect(pointDefinitions(r.config).size).toBeGreaterThanOrEqual(POINTS);
    expect(r.config.rules).toHaveLength(POINTS / 50);
    const last = r.config.devices.at(-1)!.points.at(-3)!; // p97: a temperature with its own limits
    expect(last.limits).toMatchObject({ H: 70, HH: 90 });
  }, 120_000);

  it('names the line of one bad point deep in the file, and suggests the point a rule misspelt', () => {
    const lines = text.split('\n');
    const bad = lines.findIndex((l) => l.includes('id: d97.p4,'));
    lines[bad] = lines[bad]!.replace('HH: 90', 'HH: 60');
    const rule = lines.findIndex((l) => l.includes('id: r150,'));
    lines[rule] = lines[rule]!.replace(/point: (d\d+)\.p(\d+)/, 'point: $1.px$2');
    const r = parseConfigText(lines.join('\n'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const out = formatConfigErrors('big.yaml', r.errors);
    expect(out).toContain(`big.yaml:${bad + 1}:`);
    expect(out).toMatch(/HH \(60\) must be greater than H \(70\)/);
    expect(out).toMatch(/rules\[150\]\.point: unknown point "d\d+\.px\d+" \(did you mean "d\d+\.p\d+"\?\)/);
  }, 120_000);
});
