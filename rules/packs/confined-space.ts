import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { normaliseUnit } from '../presets.js';
import { limitInUnit } from '../units.js';
import { CONFINED_SPACE_ENTRY, CONFINED_SPACE_RULES, GB_T_50493, GBZ_2_1 } from './basis.js';
import { coLimits } from './co-limits.js';
import { level, packRuleId, type EquipmentPack } from './pack.js';

const params = z.strictObject({
  /** A passing test must be at most this old when people go in (unverified default: 30 min). */
  testValidFor: durationSchema.default(30 * 60_000),
  /** While people are inside, each gas reading must come at least this often (unverified default: 1 min). */
  monitorTimeout: durationSchema.default(60_000),
  /** People inside without the attendant for this long alarms (unverified default: 30 s). */
  attendantDelay: durationSchema.default(30_000),
});

/** O2 band and first-alarm limits of GB/T 50493-2019 / GBZ 2.1 in the units of the points. */
function bands(h2sUnit: string, coUnit: string) {
  const h2sUnitKey = normaliseUnit(h2sUnit) === 'ppm' ? 'ppm' : 'mg/m3';
  return {
    o2Low: 19.5,
    o2High: 23.5,
    lelFirst: 25,
    lelSecond: 50,
    h2sFirst: limitInUnit(10, 'H2S', h2sUnitKey),
    h2sSecond: limitInUnit(20, 'H2S', h2sUnitKey),
    coFirst: coLimits(coUnit).first,
    coSecond: coLimits(coUnit).second,
  };
}

/**
 * 有限空间: an entry session watched from a portable or fixed multi-gas detector. 先通风、再检测、后作业
 * is enforced by an entry-sequence rule (a passing test under ventilation within `testValidFor`
 * before people go in, readings every `monitorTimeout` while they are inside); the attendant must be
 * present; any reading leaving its band while people are inside alarms at once (判定标准 第十三条(二)).
 */
export const confinedSpacePack: EquipmentPack<typeof params> = {
  type: 'confined-space',
  name: '有限空间',
  indicators: {
    o2: { name: '氧气浓度', units: ['%VOL'] },
    lel: { name: '可燃气体浓度', units: ['%LEL'] },
    h2s: { name: '硫化氢浓度', units: ['mg/m3', 'ppm'] },
    co: { name: '一氧化碳浓度', units: ['ppm', 'mg/m3'] },
    inside: { name: '有人员在内作业' },
    ventilation: { name: '通风机运行' },
    attendant: { name: '监护人在场' },
  },
  params,
  checks: {
    'gas-limits': '氧气/可燃气/硫化氢/一氧化碳报警',
    entry: '先通风、再检测、后作业 与作业中连续监测',
    attendant: '作业中监护人不在场',
    'out-of-band': '作业中读数越限',
  },
  expand(input) {
    const { id, name, params: p, bound: b } = input;
    const x = bands(input.point(b.h2s!).unit, input.point(b.co!).unit);
    const ref = (i: string) => `\${${b[i]}}`;
    const gasBasis = `${GB_T_50493}; ${GBZ_2_1}`;
    const entryBasis = `${CONFINED_SPACE_ENTRY}; ${CONFINED_SPACE_RULES}`;
    // Each gas's entry band; the test before entry needs all of them, and while people are inside
    // each one leaving its band is its own alarm (showing that gas's reading).
    const outOfBand: [string, string, string][] = [
      ['o2', '氧气浓度', `${ref('o2')} >= ${x.o2Low} and ${ref('o2')} <= ${x.o2High}`],
      ['lel', '可燃气体浓度', `${ref('lel')} < ${x.lelFirst}`],
      ['h2s', '硫化氢浓度', `${ref('h2s')} < ${x.h2sFirst}`],
      ['co', '一氧化碳浓度', `${ref('co')} < ${x.coFirst}`],
    ];
    const pass = outOfBand.map(([, , band]) => band).join(' and ');
    return {
      limits: [
        { check: 'gas-limits', indicator: 'o2', limits: { L: level(x.o2Low, 4, `${name}氧气浓度低：缺氧窒息危险`, gasBasis), H: level(x.o2High, 3, `${name}氧气浓度高：富氧助燃，火灾危险`, gasBasis) } },
        { check: 'gas-limits', indicator: 'lel', limits: { H: level(x.lelFirst, 3, `${name}可燃气体一级报警：有爆炸危险，禁止进入和动火`, gasBasis), HH: level(x.lelSecond, 4, `${name}可燃气体二级报警：爆炸危险，立即撤离`, gasBasis) } },
        { check: 'gas-limits', indicator: 'h2s', limits: { H: level(x.h2sFirst, 3, `${name}硫化氢一级报警：中毒危险`, gasBasis), HH: level(x.h2sSecond, 4, `${name}硫化氢二级报警：急性中毒危险，立即撤离`, gasBasis) } },
        { check: 'gas-limits', indicator: 'co', limits: { H: level(x.coFirst, 3, `${name}一氧化碳一级报警：中毒危险`, gasBasis), HH: level(x.coSecond, 4, `${name}一氧化碳二级报警：急性中毒危险，立即撤离`, gasBasis) } },
      ],
      rules: [
        {
          check: 'entry',
          rule: {
            id: packRuleId(id, 'entry'),
            kind: 'entry-sequence',
            inside: { point: b.inside!, equals: true },
            ventilation: { point: b.ventilation!, equals: true },
            test: pass,
            testValidFor: p.testValidFor,
            monitor: [b.o2!, b.lel!, b.h2s!, b.co!],
            monitorTimeout: p.monitorTimeout,
            severity: 4,
            monitorSeverity: 4,
            message: `${name}未按“先通风、再检测、后作业”进入或作业中监测中断：属重大事故隐患，中毒窒息危险`,
            basis: entryBasis,
          },
        },
        {
          check: 'attendant',
          rule: {
            id: packRuleId(id, 'attendant'),
            kind: 'expression',
            expression: `${ref('inside')} and not ${ref('attendant')}`,
            point: b.inside!,
            condition: 'ATTENDANT',
            onDelay: p.attendantDelay,
            severity: 4,
            message: `${name}有人员在内作业而监护人不在场：属重大事故隐患，发生意外无人施救`,
            basis: CONFINED_SPACE_ENTRY,
          },
        },
        ...outOfBand.map(([gas, label, band]) => ({
          check: 'out-of-band',
          rule: {
            id: packRuleId(id, `out-of-band.${gas}`),
            kind: 'expression' as const,
            expression: `${ref('inside')} and not (${band})`,
            point: b[gas]!,
            condition: 'OUT_OF_BAND',
            severity: 4 as const,
            message: `${name}作业中${label}越限：有人员在内，须立即撤出`,
            basis: `${CONFINED_SPACE_RULES}; ${gasBasis}`,
          },
        })),
      ],
      findings: [],
    };
  },
};
