import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { GB_6222, GB_T_21109 } from './basis.js';
import { CO_BASIS, CO_UNITS, coLimits } from './co-limits.js';
import { level, packRuleId, type EquipmentPack, type PackLimits } from './pack.js';

const GAS = { bfg: '高炉煤气', cog: '焦炉煤气', ldg: '转炉煤气' } as const;

const params = z.strictObject({
  gas: z.enum(Object.keys(GAS) as [keyof typeof GAS, ...(keyof typeof GAS)[]]),
  /** Holder level (柜位) limits in the level point's unit: from the holder's operating rules, no defaults. */
  level: z.strictObject({ LL: z.number(), L: z.number(), H: z.number(), HH: z.number() }),
  /** Holder pressure limits (optional: a holder of constant pressure may leave them out). */
  pressure: z.strictObject({ L: z.number().optional(), H: z.number().optional() }).default({}),
  /** Piston tilt (活塞倾斜) H and HH, units of the point: from the holder's design, no defaults. */
  tilt: z.strictObject({ H: z.number(), HH: z.number() }),
  /** Piston speed (活塞速度) H, units of the point: from the holder's design, no default. */
  speedHigh: z.number().positive(),
  /** Redundant CO detectors above the piston: vote and delay (2oo3 as the issue names it). */
  coVoting: z.enum(['2oo3', '1oo3']).default('2oo3'),
  coDelay: durationSchema.default(2000),
});

/**
 * 煤气柜: holder level, pressure, piston tilt and speed, and CO above the piston with 2oo3 voting on
 * the redundant detectors. No clause of 判定标准 names these; the basis is GB 6222 (gas holders) and
 * GB/T 50493 / GBZ 2.1 for the CO limits. rules/packs/README.md marks what is unverified.
 */
export const gasHolderPack: EquipmentPack<typeof params> = {
  type: 'gas-holder',
  name: '煤气柜',
  deviceTypeCode: '07',
  indicators: {
    level: { name: '柜位' },
    pressure: { name: '煤气柜压力', required: false, units: ['kPa', 'Pa'] },
    pistonTilt: { name: '活塞倾斜', units: ['mm'] },
    pistonSpeed: { name: '活塞速度', units: ['m/min', 'mm/s'] },
    coA: { name: '活塞上部一氧化碳A', units: CO_UNITS },
    coB: { name: '活塞上部一氧化碳B', units: CO_UNITS },
    coC: { name: '活塞上部一氧化碳C', units: CO_UNITS },
  },
  params,
  checks: {
    level: '柜位 LL/L/H/HH',
    pressure: '煤气柜压力 L/H',
    'piston-tilt': '活塞倾斜 H/HH',
    'piston-speed': '活塞速度高',
    'co-channel': '活塞上部一氧化碳单通道一级报警',
    'co-vote': '活塞上部一氧化碳 2oo3 表决二级报警',
  },
  problems(input) {
    const { bound } = input;
    const units = ['coA', 'coB', 'coC'].map((i) => coLimits(input.point(bound[i]!).unit).unit);
    return new Set(units).size > 1 ? [{ path: ['bind', 'coB'], message: `the three CO detectors must read the same unit, got ${units.join(', ')}` }] : [];
  },
  expand(input) {
    const { id, name, params: p, bound: b } = input;
    const who = `${name}(${GAS[p.gas]})`;
    const co = coLimits(input.point(b.coA!).unit);
    const limits: PackLimits[] = [
      {
        check: 'level',
        indicator: 'level',
        limits: {
          LL: level(p.level.LL, 4, `${who}柜位低低：活塞可能落底，煤气倒流或抽负压`, GB_6222),
          L: level(p.level.L, 3, `${who}柜位低：须减少用户用气或增加进气`, GB_6222),
          H: level(p.level.H, 3, `${who}柜位高：须减少进气或放散`, GB_6222),
          HH: level(p.level.HH, 4, `${who}柜位高高：活塞可能冲顶，煤气泄漏`, GB_6222),
        },
      },
      {
        check: 'piston-tilt',
        indicator: 'pistonTilt',
        limits: {
          H: level(p.tilt.H, 3, `${who}活塞倾斜超限：密封可能失效，煤气泄漏到活塞上部`, GB_6222),
          HH: level(p.tilt.HH, 4, `${who}活塞倾斜严重：活塞可能卡住，须停止进出气`, GB_6222),
        },
      },
      { check: 'piston-speed', indicator: 'pistonSpeed', limits: { H: level(p.speedHigh, 3, `${who}活塞速度过快：进出气量突变，有冲顶或落底危险`, GB_6222) } },
    ];
    for (const i of ['coA', 'coB', 'coC']) {
      limits.push({ check: 'co-channel', indicator: i, limits: { H: level(co.first, 2, `${who}活塞上部一氧化碳一级报警：煤气泄漏，人员中毒危险`, CO_BASIS) } });
    }
    if (b.pressure && (p.pressure.L !== undefined || p.pressure.H !== undefined)) {
      limits.push({
        check: 'pressure',
        indicator: 'pressure',
        limits: {
          ...(p.pressure.L !== undefined ? { L: level(p.pressure.L, 3, `${who}压力低：管网可能吸入空气，形成爆炸性混合物`, GB_6222) } : {}),
          ...(p.pressure.H !== undefined ? { H: level(p.pressure.H, 3, `${who}压力高：超压泄漏危险`, GB_6222) } : {}),
        },
      });
    }
    return {
      limits,
      rules: [
        {
          check: 'co-vote',
          rule: {
            id: packRuleId(id, 'co-vote'),
            kind: 'vote',
            voting: p.coVoting,
            channels: [b.coA!, b.coB!, b.coC!],
            above: co.second,
            degradation: 'safe',
            onDelay: p.coDelay,
            severity: 4,
            message: `${who}活塞上部一氧化碳 ${p.coVoting} 表决二级报警(≥${co.second} ${co.unit})：煤气大量泄漏，须撤离并禁止进入`,
            basis: `${CO_BASIS}; ${GB_T_21109} 冗余检测表决`,
          },
        },
      ],
      findings: [],
    };
  },
};
