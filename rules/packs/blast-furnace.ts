import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { METALLURGY_BF_TOP_PRESSURE } from './basis.js';
import { packRuleId, type EquipmentPack } from './pack.js';

const params = z.strictObject({
  /** 设计文件规定的最高工作压力 (units of the top pressure point). From the design file: no default. */
  designMaxPressure: z.number().positive(),
  /** 炉顶设备设计压力: the interlock relief set value must not exceed it. From the design file. */
  designPressure: z.number().positive(),
  /** Top pressure this far above its set value alarms (unverified default: 10, units of the point). */
  overSetMargin: z.number().positive().default(10),
  overSetDelay: durationSchema.default(5000),
  /** The relief valve must be open this soon after the pressure reaches the relief set value (unverified default). */
  reliefWithin: durationSchema.default(3000),
  /** Interlock not armed this long while producing alarms. */
  armedDelay: durationSchema.default(5000),
});

/**
 * 高炉: top working pressure against its set value and the design maximum, the relief-valve
 * interlock armed while producing, its set value against the design pressure, and the valve
 * opening on demand — the items of 判定标准 第四条(五).
 */
export const blastFurnacePack: EquipmentPack<typeof params> = {
  type: 'blast-furnace',
  name: '高炉',
  deviceTypeCode: '01',
  indicators: {
    topPressure: { name: '炉顶工作压力', units: ['kPa', 'MPa'] },
    topPressureSet: { name: '炉顶工作压力设定值', units: ['kPa', 'MPa'] },
    reliefArmed: { name: '炉顶放散阀联锁投入' },
    reliefSet: { name: '联锁放散压力设定值', units: ['kPa', 'MPa'] },
    reliefOpen: { name: '炉顶放散阀开到位' },
    producing: { name: '高炉生产中', required: false },
  },
  params,
  checks: {
    'top-pressure-over-set': '炉顶工作压力高于设定值',
    'set-above-design-max': '炉顶工作压力设定值超过设计最高工作压力',
    'relief-interlock-armed': '炉顶压力与放散阀联锁未投入',
    'relief-set-above-design': '联锁放散压力设定值超过设备设计压力',
    'relief-valve-demand': '达到联锁放散压力时放散阀未打开',
  },
  expand({ id, name, params: p, bound: b }) {
    const ref = (i: string) => `\${${b[i]}}`;
    const basis = METALLURGY_BF_TOP_PRESSURE;
    return {
      limits: [],
      rules: [
        {
          check: 'top-pressure-over-set',
          rule: {
            id: packRuleId(id, 'top-pressure-over-set'),
            kind: 'deviation',
            point: b.topPressure!,
            reference: b.topPressureSet!,
            direction: 'high',
            limit: p.overSetMargin,
            onDelay: p.overSetDelay,
            severity: 3,
            message: `${name}炉顶工作压力高于设定值：炉顶超压会损坏炉顶设备、造成煤气泄漏`,
            basis,
          },
        },
        {
          check: 'set-above-design-max',
          rule: {
            id: packRuleId(id, 'set-above-design-max'),
            kind: 'expression',
            expression: `${ref('topPressureSet')} > ${p.designMaxPressure}`,
            point: b.topPressureSet!,
            condition: 'DESIGN_MAX',
            severity: 4,
            message: `${name}炉顶工作压力设定值超过设计最高工作压力 ${p.designMaxPressure}：属重大事故隐患，高炉在超设计压力下生产`,
            basis,
          },
        },
        {
          check: 'relief-interlock-armed',
          rule: {
            id: packRuleId(id, 'relief-interlock-armed'),
            kind: 'interlock',
            point: b.topPressure!,
            armed: { point: b.reliefArmed!, equals: true },
            ...(b.producing ? { whileRunning: { point: b.producing, equals: true } } : {}),
            armedDelay: p.armedDelay,
            bypassSeverity: 4,
            message: `${name}炉顶压力与炉顶放散阀联锁未投入：属重大事故隐患，超压时放散阀不会自动打开`,
            basis,
          },
        },
        {
          check: 'relief-set-above-design',
          rule: {
            id: packRuleId(id, 'relief-set-above-design'),
            kind: 'expression',
            expression: `${ref('reliefSet')} > ${p.designPressure}`,
            point: b.reliefSet!,
            condition: 'DESIGN_PRESSURE',
            severity: 4,
            message: `${name}联锁放散压力设定值超过设备设计压力 ${p.designPressure}：属重大事故隐患，放散前设备已超压`,
            basis,
          },
        },
        {
          check: 'relief-valve-demand',
          rule: {
            id: packRuleId(id, 'relief-valve-demand'),
            kind: 'interlock',
            point: b.topPressure!,
            demand: `${ref('topPressure')} >= ${ref('reliefSet')}`,
            action: ref('reliefOpen'),
            within: p.reliefWithin,
            severity: 4,
            message: `${name}炉顶压力达到联锁放散值而放散阀未打开：联锁拒动，炉顶可能超压`,
            basis,
          },
        },
      ],
      findings: [],
    };
  },
};
