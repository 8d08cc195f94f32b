import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import coverage from '../../../gateway/cli/commands/coverage.js';
import expand from '../../../gateway/cli/commands/expand.js';
import validate from '../../../gateway/cli/commands/validate.js';
import { configFindings, coverageReport, expansionReport } from '../../../gateway/config/equipment-report.js';
import { blastFurnace, dryDust, hazchemTank } from './cases.js';
import { parsePlant, plant, pt } from './pack-bench.js';

/** A plant with a booster room and a gas-holder piston covered, and its shift room (1006) not. */
const coPlant = plant(
  [pt('booster.co', '加压机房一氧化碳', 'ppm', { area: 'gas' }), pt('gh.co', '煤气柜活塞上部一氧化碳', 'ppm', { area: 'gasholder' })],
  [
    {
      id: 'co',
      type: 'co-detectors',
      name: '煤气区域CO报警器',
      params: {
        places: [
          { id: 'booster', name: '1#加压机房', location: '2002' },
          { id: 'gh-top', name: '1#煤气柜活塞上部', location: '2019' },
          { id: 'shift', name: '煤气防护站交接班室', location: '1006' },
        ],
        detectors: [
          { point: 'booster.co', place: 'booster' },
          { point: 'gh.co', place: 'gh-top' },
        ],
      },
    },
  ],
  { alarms: { staffedAreas: ['gas'] } },
);

const dir = mkdtempSync(join(tmpdir(), 'packs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(cmd: { run(argv: string[]): Promise<number> }, data: unknown): Promise<{ code: number; out: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(data));
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  try {
    const code = await cmd.run(['--config', file]);
    return { code, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

describe('coverage of fixed CO detectors (判定标准 第四条(六))', () => {
  it('lists the gathering room with no detector and the detector no staffed console watches', () => {
    const r = coverageReport(parsePlant(coPlant));
    expect(r.uncovered).toEqual([{ equipment: 'co', place: 'shift', name: '煤气防护站交接班室', location: '1006', locationName: '交接班室', gatheringRoom: true }]);
    expect(r.unstaffed.map((u) => [u.point, u.area])).toEqual([['gh.co', 'gasholder']]);
  });

  it('the coverage command prints both and exits 2; a complete plant exits 0', async () => {
    const gap = await runCli(coverage, coPlant);
    expect(gap.code).toBe(2);
    expect(gap.out).toContain('1006 交接班室  煤气防护站交接班室 [co/shift]  人员聚集场所');
    expect(gap.out).toContain('gh.co 煤气柜活塞上部一氧化碳  1#煤气柜活塞上部  area=gasholder');
    const complete = structuredClone(coPlant) as typeof coPlant & { equipment: { params: { places: unknown[] } }[]; alarms: { staffedAreas: string[] } };
    complete.equipment[0]!.params.places.pop();
    complete.alarms.staffedAreas.push('gasholder');
    const ok = await runCli(coverage, complete);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('覆盖完整');
  });

  it('validate accepts the config (exit 0) and prints the findings with their basis', async () => {
    const { code, out } = await runCli(validate, coPlant);
    expect(code).toBe(0);
    expect(out).toMatch(/^OK .*1 equipment/m);
    expect(out).toContain('finding [重大] co: 煤气区域CO报警器: 煤气防护站交接班室(1006 交接班室)未设置固定式一氧化碳报警器');
    expect(out).toContain('依据: 《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(六)');
  });

  it('the uncovered room and the unstaffed detector are validate findings with their basis', () => {
    const f = configFindings(parsePlant(coPlant));
    expect(f.map((x) => x.check)).toEqual(['place-uncovered', 'co-unstaffed']);
    expect(f.every((x) => x.basis.includes('第四条(六)'))).toBe(true);
  });
});

describe('expand', () => {
  it('prints the pack rules and limits as YAML, marking overrides', async () => {
    const points = blastFurnace.points;
    const data = plant(points, blastFurnace.equipment, { rules: [{ id: 'bf1.relief-valve-demand', kind: 'interlock', point: 'bf1.tp', demand: '${bf1.tp} >= ${bf1.relief_set}', action: '${bf1.relief_open}', within: '10s' }] });
    const { code, out } = await runCli(expand, data);
    expect(code).toBe(0);
    const doc = parse(out) as { equipment: { id: string; rules: { id: string; basis: string; overriddenBy?: string }[] }[] };
    expect(doc.equipment[0]!.id).toBe('bf1');
    expect(doc.equipment[0]!.rules.map((r) => [r.id, r.overriddenBy ?? null])).toEqual([
      ['bf1.top-pressure-over-set', null],
      ['bf1.set-above-design-max', null],
      ['bf1.relief-interlock-armed', null],
      ['bf1.relief-set-above-design', null],
      ['bf1.relief-valve-demand', 'rules:'],
    ]);
    expect(doc.equipment[0]!.rules[0]!.basis).toBe('《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(五)');
  });

  it('marks a pack level the point replaced', () => {
    const points = hazchemTank.points.map((p) => ((p as { id: string }).id === 't1.temp' ? { ...p, limits: { HH: 45 } } : p));
    const report = expansionReport(parsePlant(plant(points, hazchemTank.equipment)));
    expect(report[0]!.limits['t1.temp']!.map((l) => [l.level, l.value, l.from])).toEqual([
      ['HH', 45, 'point'],
      ['H', 35, 'pack'],
    ]);
  });

  it('positive-pressure Al/Mg collection is a finding even with spark detection (第十一条(四))', () => {
    const eq = dryDust.equipment[0] as { bind: Record<string, string>; params: Record<string, unknown> };
    const report = expansionReport(parsePlant(plant(dryDust.points, [{ ...eq, params: { ...eq.params, pressureMode: 'positive' } }])));
    expect(eq.bind.sparkDetected).toBeDefined();
    expect(report[0]!.findings).toEqual([expect.objectContaining({ check: 'positive-pressure-al-mg', severity: 4, basis: expect.stringContaining('第十一条(四)') })]);
    expect(report[0]!.findings[0]!.message).toContain('铝镁等金属粉尘采用正压除尘方式');
  });

  it('other dust blown under positive pressure is a finding only without spark detection', () => {
    const eq = dryDust.equipment[0] as { bind: Record<string, string>; params: Record<string, unknown> };
    const bind = { ...eq.bind };
    delete bind.sparkDetected;
    const withoutSpark = expansionReport(parsePlant(plant(dryDust.points, [{ ...eq, bind, params: { ...eq.params, dust: 'other', pressureMode: 'positive' } }])));
    expect(withoutSpark[0]!.findings).toEqual([expect.objectContaining({ check: 'positive-pressure-no-spark', severity: 4, basis: expect.stringContaining('第十一条(四)') })]);
    expect(withoutSpark[0]!.findings[0]!.message).toContain('正压吹送粉尘未采取火花探测消除');
    const withSpark = expansionReport(parsePlant(plant(dryDust.points, [{ ...eq, params: { ...eq.params, dust: 'other', pressureMode: 'positive' } }])));
    expect(withSpark[0]!.findings).toEqual([]);
  });

  it('a major hazard source needs its records kept 30 days: the journal, and the readings in the local history or InfluxDB (40号令 第十三条(一))', () => {
    const records = (extra: Record<string, unknown>) => configFindings(parsePlant(plant(hazchemTank.points, hazchemTank.equipment, extra))).filter((f) => f.check === 'records-30d');
    // Defaults: journal and local history both keep 30 days.
    expect(records({})).toEqual([]);
    const short = records({ storage: { journalRetention: '7d' }, history: { retention: '7d' } });
    expect(short.map((f) => f.message)).toEqual([
      '重大危险源报警记录保存不足30天：storage.journalRetention 应不少于 30d',
      '重大危险源温度、压力、液位等数据未保存30天：本地历史 history.retention 不足30天，且未配置 influx:（其保留策略应不少于30天）',
    ]);
    expect(short.every((f) => f.basis.includes('第十三条(一)') && f.equipment === 't1')).toBe(true);
    expect(records({ history: { enabled: false } }).map((f) => f.message)).toEqual(['重大危险源温度、压力、液位等数据未保存30天：本地历史 history 未启用，且未配置 influx:（其保留策略应不少于30天）']);
    // InfluxDB records the readings instead of the local history.
    expect(records({ history: { enabled: false }, influx: { api: 'v1', url: 'http://127.0.0.1:8086', database: 'plant' } })).toEqual([]);
    // No major hazard source: nothing to say.
    expect(configFindings(parsePlant(plant(hazchemTank.points, [], { history: { enabled: false } }))).filter((f) => f.check === 'records-30d')).toEqual([]);
  });
});
