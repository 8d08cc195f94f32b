import { z } from 'zod';
import { DUST_HYDROGEN, GB_15577_DUST_COLLECTION, GB_T_50493 } from './basis.js';
import { level, type EquipmentPack, type PackFinding, type PackLimits } from './pack.js';

const params = z.strictObject({
  /** Water-reactive metal dust (铝镁等遇湿自燃金属粉尘) makes hydrogen: its %LEL must be watched. */
  waterReactive: z.boolean(),
  /** Tank water level L and LL, units of the point: from the collector's design, no defaults. */
  levelLow: z.number(),
  levelLowLow: z.number().optional(),
  /** Circulating water flow L, units of the point: from the design, no default. */
  flowLow: z.number().positive(),
  /** Hydrogen first and second alarm, %LEL (GB/T 50493-2019: ≤ 25 and ≤ 50). */
  hydrogenHigh: z.number().max(25).default(25),
  hydrogenHighHigh: z.number().max(50).default(50),
});

/**
 * 湿式除尘器: tank water level, circulating water flow, and for water-reactive metal dust the
 * hydrogen concentration in %LEL; a finding when such dust has no hydrogen measurement
 * (判定标准 第十一条(九)); tank level and flow cite the dust-collection chapter of GB 15577.
 */
export const wetDustCollectorPack: EquipmentPack<typeof params> = {
  type: 'wet-dust-collector',
  name: '湿式除尘器',
  indicators: {
    tankLevel: { name: '水箱液位' },
    circulatingFlow: { name: '循环水流量', units: ['m3/h', 't/h', 'L/min'] },
    hydrogen: { name: '氢气浓度', required: false, units: ['%LEL'] },
  },
  params,
  checks: {
    'tank-level': '水箱液位低',
    'circulating-flow': '循环水流量低',
    hydrogen: '氢气浓度高',
    'no-hydrogen-monitoring': '遇湿自燃金属粉尘未监测氢气',
  },
  expand({ name, params: p, bound: b }) {
    const limits: PackLimits[] = [
      {
        check: 'tank-level',
        indicator: 'tankLevel',
        limits: {
          L: level(p.levelLow, 3, `${name}水箱液位低：除尘水不足，粉尘未被捕集而进入风机`, GB_15577_DUST_COLLECTION),
          ...(p.levelLowLow !== undefined ? { LL: level(p.levelLowLow, 4, `${name}水箱液位低低：湿式除尘失效，须停机`, GB_15577_DUST_COLLECTION) } : {}),
        },
      },
      { check: 'circulating-flow', indicator: 'circulatingFlow', limits: { L: level(p.flowLow, 3, `${name}循环水流量低：除尘效果下降，粉尘在风道积聚`, GB_15577_DUST_COLLECTION) } },
    ];
    if (b.hydrogen) {
      const basis = `${DUST_HYDROGEN}; ${GB_T_50493}`;
      limits.push({
        check: 'hydrogen',
        indicator: 'hydrogen',
        limits: {
          H: level(p.hydrogenHigh, 3, `${name}氢气浓度一级报警：遇湿金属粉尘产氢积聚，须加强通风`, basis),
          HH: level(p.hydrogenHighHigh, 4, `${name}氢气浓度二级报警：氢气积聚有爆炸危险，须停机通风并禁止动火`, basis),
        },
      });
    }
    const findings: PackFinding[] = p.waterReactive && !b.hydrogen ? [{ check: 'no-hydrogen-monitoring', severity: 4, message: `${name}收集遇湿自燃金属粉尘但未监测氢气浓度：不能证明已防止氢气积聚`, basis: DUST_HYDROGEN }] : [];
    return { limits, rules: [], findings };
  },
};
