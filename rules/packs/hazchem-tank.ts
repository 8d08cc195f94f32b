import { z } from 'zod';
import { normaliseUnit } from '../presets.js';
import { AQ_3035, GB_T_50493, HAZCHEM_MONITORING } from './basis.js';
import { level, type EquipmentPack, type PackLimits } from './pack.js';

const levelsSchema = z
  .strictObject({ LL: z.number().optional(), L: z.number().optional(), H: z.number().optional(), HH: z.number().optional() })
  .refine((l) => Object.keys(l).length > 0, 'give at least one of LL, L, H, HH');
type Levels = z.infer<typeof levelsSchema>;

const params = z.strictObject({
  /** The stored substance, e.g. 液氯, 甲醇; starts the messages. */
  substance: z.string().min(1),
  /** LL / L / H / HH per sensor from the tank's design and operating rules (no defaults). */
  temperature: levelsSchema,
  pressure: levelsSchema,
  level: levelsSchema,
  flow: levelsSchema.optional(),
  /**
   * The toxic substance's occupational exposure limit in mg/m³, when the toxic detector reads mg/m³:
   * alarms at 100 % and 200 % of it (GB/T 50493-2019). A detector reading %OEL needs none.
   */
  toxicOel: z.number().positive().optional(),
});

const LEVEL_TEXT: Record<keyof Levels, { sev: 2 | 3 | 4; what: string }> = {
  LL: { sev: 4, what: '低低报' },
  L: { sev: 3, what: '低报' },
  H: { sev: 3, what: '高报' },
  HH: { sev: 4, what: '高高报' },
};

/**
 * 危险化学品重大危险源 storage tank: temperature, pressure, level and flow with LL / L / H / HH,
 * combustible (%LEL) and toxic (% of OEL) detectors. Records of at least 30 days are a config
 * check (`validate` findings): alarm journal retention, and the readings in the local history or InfluxDB.
 */
export const hazchemTankPack: EquipmentPack<typeof params> = {
  type: 'hazchem-tank',
  name: '危险化学品重大危险源储罐',
  indicators: {
    temperature: { name: '温度', units: ['°C', '℃'] },
    pressure: { name: '压力', units: ['kPa', 'MPa', 'Pa'] },
    level: { name: '液位', units: ['m', 'mm', '%'] },
    flow: { name: '流量', required: false },
    combustible: { name: '可燃气体浓度', required: false, units: ['%LEL'] },
    toxic: { name: '有毒气体浓度', required: false, units: ['%OEL', 'mg/m3'] },
  },
  params,
  checks: {
    temperature: '温度 LL/L/H/HH',
    pressure: '压力 LL/L/H/HH',
    level: '液位 LL/L/H/HH',
    flow: '流量 LL/L/H/HH',
    combustible: '可燃气体一级/二级报警',
    toxic: '有毒气体一级/二级报警 (%OEL)',
  },
  problems(input) {
    const { params: p, bound } = input;
    const out = [];
    if (bound.flow && !p.flow) out.push({ path: ['params', 'flow'], message: 'flow is bound: give its limits (LL / L / H / HH)' });
    if (bound.toxic && normaliseUnit(input.point(bound.toxic).unit) === 'mg/m3' && p.toxicOel === undefined) {
      out.push({ path: ['params', 'toxicOel'], message: 'the toxic detector reads mg/m³: give toxicOel (the substance\'s OEL in mg/m³) so alarms can be set at 100 % and 200 % of it' });
    }
    return out;
  },
  expand(input) {
    const { name, params: p, bound: b } = input;
    const who = `${name}(${p.substance})`;
    const basis = `${HAZCHEM_MONITORING}; ${AQ_3035}`;
    const why: Record<string, Partial<Record<keyof Levels, string>>> = {
      temperature: { H: '超温可能引起超压和物料分解', HH: '超温，须启动冷却或紧急切断', L: '温度偏低', LL: '温度过低，物料可能凝固或脆化' },
      pressure: { H: '超压，安全阀可能起跳泄放', HH: '严重超压，储罐有破裂危险', L: '压力偏低', LL: '负压，储罐可能吸瘪' },
      level: { H: '液位高，注意防止冒罐', HH: '液位高高，须立即切断进料防止冒罐', L: '液位低', LL: '液位低低，须停泵防止抽空' },
      flow: { H: '流量高', HH: '流量高高，须检查是否泄漏或失控', L: '流量低', LL: '流量低低' },
    };
    const limits: PackLimits[] = [];
    for (const ind of ['temperature', 'pressure', 'level', 'flow'] as const) {
      const l = p[ind];
      if (!l || !b[ind]) continue;
      const levels: PackLimits['limits'] = {};
      for (const lv of Object.keys(LEVEL_TEXT) as (keyof Levels)[]) {
        const v = l[lv];
        if (v !== undefined) levels[lv] = level(v, LEVEL_TEXT[lv].sev, `${who}${hazchemTankPack.indicators[ind]!.name}${LEVEL_TEXT[lv].what}：${why[ind]![lv]}`, basis);
      }
      limits.push({ check: ind, indicator: ind, limits: levels });
    }
    if (b.combustible) {
      limits.push({ check: 'combustible', indicator: 'combustible', limits: { H: level(25, 3, `${who}可燃气体一级报警：泄漏，有火灾爆炸危险`, `${GB_T_50493}; ${basis}`), HH: level(50, 4, `${who}可燃气体二级报警：爆炸危险，须紧急处置`, `${GB_T_50493}; ${basis}`) } });
    }
    if (b.toxic) {
      const pct = normaliseUnit(input.point(b.toxic).unit) !== 'mg/m3';
      const first = pct ? 100 : p.toxicOel!;
      const second = pct ? 200 : p.toxicOel! * 2;
      limits.push({
        check: 'toxic',
        indicator: 'toxic',
        limits: {
          H: level(first, 3, `${who}有毒气体一级报警(100 %OEL)：泄漏，人员中毒危险`, `${GB_T_50493}; ${basis}`),
          HH: level(second, 4, `${who}有毒气体二级报警(200 %OEL)：严重泄漏，须撤离并紧急处置`, `${GB_T_50493}; ${basis}`),
        },
      });
    }
    return { limits, rules: [], findings: [] };
  },
};
