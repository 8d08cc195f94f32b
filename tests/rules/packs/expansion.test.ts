import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText, validateConfig } from '../../../gateway/config/load.js';
import { pointDefinitions } from '../../../gateway/config/schema.js';
import { resolveLimits } from '../../../rules/limits.js';
import { blastFurnace, hazchemTank } from './cases.js';
import { plant } from './pack-bench.js';

function errorsOf(data: unknown) {
  const r = validateConfig(data);
  if (r.ok) throw new Error('expected config errors');
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('equipment expansion', () => {
  it('adds the pack rules to rules: with their basis, and keeps written rules', () => {
    const r = validateConfig(plant(blastFurnace.points, blastFurnace.equipment, { rules: [{ id: 'my-rule', kind: 'stale', point: 'bf1.tp', expectedPeriod: '1s' }] }));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.rules.map((x) => x.id)).toEqual([
      'bf1.top-pressure-over-set',
      'bf1.set-above-design-max',
      'bf1.relief-interlock-armed',
      'bf1.relief-set-above-design',
      'bf1.relief-valve-demand',
      'my-rule',
    ]);
    expect(r.config.rules.slice(0, 5).every((x) => x.basis?.includes('第四条(五)'))).toBe(true);
  });

  it('a written rule with a pack rule id replaces the pack rule', () => {
    const mine = { id: 'bf1.top-pressure-over-set', kind: 'deviation', point: 'bf1.tp', reference: 'bf1.tp_set', direction: 'high', limit: 25, message: '自定义', basis: '企业操作规程' };
    const r = validateConfig(plant(blastFurnace.points, blastFurnace.equipment, { rules: [mine] }));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const rules = r.config.rules.filter((x) => x.id === 'bf1.top-pressure-over-set');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ limit: 25, basis: '企业操作规程' });
  });

  it('disable: leaves a check out', () => {
    const eq = [{ ...blastFurnace.equipment[0], disable: ['relief-valve-demand'] }];
    const r = validateConfig(plant(blastFurnace.points, eq));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.rules.map((x) => x.id)).not.toContain('bf1.relief-valve-demand');
  });

  it("merges pack limits into the point; the point's own levels win level by level", () => {
    const points = hazchemTank.points.map((p) => ((p as { id: string }).id === 't1.level' ? { ...p, limits: { H: { value: 7.5, message: '自定义高报' }, deadband: 0.1 } } : p));
    const r = validateConfig(plant(points, hazchemTank.equipment));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const level = pointDefinitions(r.config).get('t1.level')!;
    const resolved = resolveLimits(level).limits;
    expect(resolved.map((l) => [l.level, l.value, l.deadband])).toEqual([
      ['HH', 9, 0.1],
      ['H', 7.5, 0.1],
      ['L', 1, 0.1],
      ['LL', 0.5, 0.1],
    ]);
    expect(resolved.find((l) => l.level === 'H')!.basis).toBeUndefined();
    expect(resolved.find((l) => l.level === 'HH')!.basis).toContain('第40号');
  });

  it("a point's own preset replaces the pack's levels it defines", () => {
    const points = hazchemTank.points.map((p) => ((p as { id: string }).id === 't1.lel' ? { ...p, limits: { preset: 'COMBUSTIBLE_LEL', HH: 40 } } : p));
    const r = validateConfig(plant(points, hazchemTank.equipment));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const lel = resolveLimits(pointDefinitions(r.config).get('t1.lel')!).limits;
    expect(lel.map((l) => [l.level, l.value, l.basis?.startsWith('GB/T 50493')])).toEqual([
      ['HH', 40, true],
      ['H', 25, true],
    ]);
  });
});

describe('equipment config errors name their path', () => {
  const eq = blastFurnace.equipment[0] as { bind: Record<string, string> };

  it('unknown indicator, with a suggestion', () => {
    const bind = { ...eq.bind, topPresure: 'bf1.tp' };
    delete (bind as Record<string, string>).topPressure;
    expect(errorsOf(plant(blastFurnace.points, [{ ...eq, bind }]))).toEqual([
      expect.stringMatching(/^equipment\[0\]\.bind\.topPresure: unknown indicator "topPresure" of 高炉 \(blast-furnace\) \(did you mean "topPressure"\?\)/),
      'equipment[0].bind: missing binding "topPressure" (炉顶工作压力) of 高炉: bind it to a point',
    ]);
  });

  it('unknown point and wrong unit', () => {
    const errors = errorsOf(plant(blastFurnace.points, [{ ...eq, bind: { ...eq.bind, topPressure: 'bf1.tpp', reliefSet: 'bf1.relief_open' } }]));
    expect(errors).toContain('equipment[0].bind.topPressure: unknown point "bf1.tpp" (did you mean "bf1.tp"?)');
    expect(errors).toContain('equipment[0].bind.reliefSet: 联锁放散压力设定值 (reliefSet) must be in kPa or MPa, but point "bf1.relief_open" has unit ""');
  });

  it('missing design parameter', () => {
    const errors = errorsOf(plant(blastFurnace.points, [{ ...eq, params: { designPressure: 300 } }]));
    expect(errors.some((e) => e.startsWith('equipment[0].params.designMaxPressure:'))).toBe(true);
  });

  it('unknown check in disable', () => {
    const errors = errorsOf(plant(blastFurnace.points, [{ ...eq, disable: ['relief-valve-demnd'] }]));
    expect(errors).toContain('equipment[0].disable[0]: unknown check "relief-valve-demnd" of 高炉 (did you mean "relief-valve-demand"?)');
  });

  it('reports file line and column from YAML', () => {
    const data = plant(blastFurnace.points, [{ ...eq, bind: { ...eq.bind, producing: 'bf1.running' } }]);
    const r = parseConfigText(stringify(data));
    if (r.ok) throw new Error('expected errors');
    const e = r.errors.find((x) => x.path === 'equipment[0].bind.producing')!;
    expect(e.message).toContain('unknown point "bf1.running"');
    const lines = stringify(data).split('\n');
    expect(lines[e.line! - 1]).toContain('producing: bf1.running');
  });

  it('two packs setting the same level of one point clash', () => {
    const tank2 = { ...(hazchemTank.equipment[0] as object), id: 't2' };
    const errors = errorsOf(plant(hazchemTank.points, [hazchemTank.equipment[0]!, tank2]));
    expect(errors.some((e) => /^equipment\[1\]\.bind\.temperature: HH of point "t1\.temp" is set by both t1 \(temperature\) and t2 \(temperature\)/.test(e))).toBe(true);
  });
});
