import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { METALLURGY_WATER_COOLED } from './basis.js';
import { level, packRuleId, type EquipmentPack, type PackLimits, type PackRule } from './pack.js';

const FURNACES = { converter: '转炉', eaf: '电弧炉', aod: 'AOD炉', lf: 'LF炉', rh: 'RH炉', vod: 'VOD炉' } as const;

const params = z.strictObject({
  furnace: z.enum(Object.keys(FURNACES) as [keyof typeof FURNACES, ...(keyof typeof FURNACES)[]]).default('converter'),
  /** Oxygen pressure low alarm (units of the point); from the process design, check off when omitted. */
  oxygenPressureLow: z.number().positive().optional(),
  /** Cooling-water inlet flow low and low-low (units of the point): from the design, no default. */
  waterInLow: z.number().positive(),
  waterInLowLow: z.number().positive().optional(),
  /** Inlet − outlet flow this large means water is leaking into the furnace (unverified default: 5). */
  flowDifference: z.number().positive().default(5),
  flowDifferenceDelay: durationSchema.default(3000),
  /** Outlet water temperature H and HH, °C (unverified defaults: 50 and 60). */
  outletTempHigh: z.number().default(50),
  outletTempHighHigh: z.number().default(60),
  /** The protective action must follow the demand this soon (unverified default: 5 s). */
  actionWithin: durationSchema.default(5000),
  armedDelay: durationSchema.default(5000),
});

const INTERLOCKS = [
  { armed: 'lanceLiftArmed', done: 'lanceRaised', check: 'lance-lift', what: '氧(副)枪自动提升' },
  { armed: 'tiltArmed', done: 'tiltBlocked', check: 'tilt', what: '炉体倾动' },
  { armed: 'powerOffArmed', done: 'powerOff', check: 'power-off', what: '电极自动断电和升起' },
] as const;

/**
 * 转炉 / 电弧炉 / AOD / LF / RH / VOD water-cooled elements (oxygen lance, sub-lance, electrodes):
 * oxygen pressure, cooling-water inlet flow, inlet–outlet flow difference and outlet temperature,
 * and their interlocks with lance auto-lift, furnace tilt and electrode power-off — armed while
 * blowing, and acting on demand (判定标准 第四条(四)).
 */
export const oxygenLancePack: EquipmentPack<typeof params> = {
  type: 'oxygen-lance',
  name: '炼钢炉水冷元件(氧枪/副枪)',
  deviceTypeCode: '02',
  indicators: {
    oxygenPressure: { name: '氧气压力', required: false, units: ['MPa', 'kPa'] },
    waterInFlow: { name: '冷却水进水流量', units: ['m3/h', 't/h'] },
    waterOutFlow: { name: '冷却水出水流量', units: ['m3/h', 't/h'] },
    waterOutTemp: { name: '冷却水出水温度', units: ['°C', '℃'] },
    blowing: { name: '吹炼/冶炼中', required: false },
    lanceLiftArmed: { name: '氧枪自动提升联锁投入', required: false },
    lanceRaised: { name: '氧枪已提升', required: false },
    tiltArmed: { name: '炉体倾动联锁投入', required: false },
    tiltBlocked: { name: '炉体倾动已闭锁', required: false },
    powerOffArmed: { name: '电极自动断电联锁投入', required: false },
    powerOff: { name: '电极已断电升起', required: false },
  },
  params,
  checks: {
    'oxygen-pressure': '氧气压力低',
    'water-in-flow': '冷却水进水流量低',
    'flow-difference': '冷却水进出水流量差大',
    'outlet-temp': '冷却水出水温度高',
    'lance-lift-armed': '氧枪自动提升联锁未投入',
    'lance-lift-demand': '氧枪未自动提升',
    'tilt-armed': '炉体倾动联锁未投入',
    'tilt-demand': '炉体倾动未闭锁',
    'power-off-armed': '电极自动断电联锁未投入',
    'power-off-demand': '电极未自动断电',
  },
  problems({ bound }) {
    const out = [];
    for (const il of INTERLOCKS) {
      if (bound[il.done] && !bound[il.armed]) out.push({ path: ['bind', il.done], message: `${il.done} needs ${il.armed} (the interlock's armed state) bound too` });
    }
    if (!bound.lanceLiftArmed && !bound.tiltArmed && !bound.powerOffArmed) {
      out.push({ path: ['bind'], message: 'bind at least one interlock armed state: lanceLiftArmed, tiltArmed or powerOffArmed (判定标准 第四条(四) requires the alarms to be interlocked)' });
    }
    return out;
  },
  expand({ id, name, params: p, bound: b }) {
    const basis = METALLURGY_WATER_COOLED;
    const who = `${name}(${FURNACES[p.furnace]})`;
    const ref = (i: string) => `\${${b[i]}}`;
    const limits: PackLimits[] = [
      {
        check: 'water-in-flow',
        indicator: 'waterInFlow',
        limits: {
          L: level(p.waterInLow, 3, `${who}水冷元件冷却水进水流量低：冷却不足会烧穿水冷元件，漏水遇钢水爆炸`, basis),
          ...(p.waterInLowLow !== undefined ? { LL: level(p.waterInLowLow, 4, `${who}水冷元件冷却水进水流量低低：须立即提枪/断电`, basis) } : {}),
        },
      },
      {
        check: 'outlet-temp',
        indicator: 'waterOutTemp',
        limits: {
          H: level(p.outletTempHigh, 3, `${who}冷却水出水温度高：水冷元件冷却不足或结垢，有烧穿漏水危险`, basis),
          HH: level(p.outletTempHighHigh, 4, `${who}冷却水出水温度高高：水冷元件可能烧穿漏水，须联锁提枪/倾动闭锁/断电`, basis),
        },
      },
    ];
    if (b.oxygenPressure && p.oxygenPressureLow !== undefined) {
      limits.push({ check: 'oxygen-pressure', indicator: 'oxygenPressure', limits: { L: level(p.oxygenPressureLow, 2, `${who}氧气压力低：供氧不足，氧枪可能回火或粘枪`, basis) } });
    }
    const leak = `${ref('waterInFlow')} - ${ref('waterOutFlow')} >= ${p.flowDifference} or ${ref('waterOutTemp')} >= ${p.outletTempHighHigh}`;
    const rules: PackRule[] = [
      {
        check: 'flow-difference',
        rule: {
          id: packRuleId(id, 'flow-difference'),
          kind: 'deviation',
          point: b.waterInFlow!,
          reference: b.waterOutFlow!,
          direction: 'high',
          limit: p.flowDifference,
          onDelay: p.flowDifferenceDelay,
          severity: 4,
          message: `${who}冷却水进出水流量差大：疑似水冷元件漏水，水进入熔池会引发爆炸`,
          basis,
        },
      },
    ];
    for (const il of INTERLOCKS) {
      if (!b[il.armed]) continue;
      rules.push({
        check: `${il.check}-armed`,
        rule: {
          id: packRuleId(id, `${il.check}-armed`),
          kind: 'interlock',
          point: b.waterOutTemp!,
          armed: { point: b[il.armed]!, equals: true },
          ...(b.blowing ? { whileRunning: { point: b.blowing, equals: true } } : {}),
          armedDelay: p.armedDelay,
          bypassSeverity: 4,
          message: `${who}出水温度/流量差报警与${il.what}联锁未投入：属重大事故隐患，漏水时不能自动保护`,
          basis,
        },
      });
      if (b[il.done]) {
        rules.push({
          check: `${il.check}-demand`,
          rule: {
            id: packRuleId(id, `${il.check}-demand`),
            kind: 'interlock',
            point: b.waterOutTemp!,
            demand: leak,
            action: ref(il.done),
            within: p.actionWithin,
            severity: 4,
            message: `${who}水冷元件漏水/超温而${il.what}未动作：联锁拒动，有爆炸危险`,
            basis,
          },
        });
      }
    }
    return { limits, rules, findings: [] };
  },
};
