import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { normaliseUnit } from '../presets.js';
import { limitInUnit } from '../units.js';
import { GB_50072, GB_T_50493, GBZ_2_1 } from './basis.js';
import { level, packRuleId, type EquipmentPack, type PackRule } from './pack.js';

const params = z.strictObject({
  /** First and second alarm in mg/m³ (DOMAIN.md: 20 and 40, GBZ 2.1 PC-TWA 20 mg/m³); ppm points get them converted. */
  firstAlarmMg: z.number().positive().default(20),
  secondAlarmMg: z.number().positive().default(40),
  /** The exhaust fan must run this soon after the first alarm (unverified default: 10 s). */
  fanWithin: durationSchema.default(10_000),
});

/**
 * 液氨制冷 machine room or ammonia area: NH3 in ppm or mg/m³ (limits converted at 25 °C:
 * ppm = mg/m³ × 24.45 / 17.03), and the exhaust fan interlock — armed, and running on an alarm.
 */
export const ammoniaRefrigerationPack: EquipmentPack<typeof params> = {
  type: 'ammonia-refrigeration',
  name: '液氨制冷',
  indicators: {
    nh3: { name: '氨气浓度', units: ['ppm', 'mg/m3'] },
    exhaustFan: { name: '事故排风机运行' },
    exhaustFanArmed: { name: '排风机联锁投入', required: false },
  },
  params,
  checks: {
    'nh3-limits': '氨气浓度一级/二级报警',
    'fan-interlock': '氨气报警时事故排风机未启动',
    'fan-armed': '排风机联锁未投入',
  },
  expand(input) {
    const { id, name, params: p, bound: b } = input;
    const unit = normaliseUnit(input.point(b.nh3!).unit) === 'ppm' ? 'ppm' : 'mg/m3';
    const first = limitInUnit(p.firstAlarmMg, 'NH3', unit);
    const second = limitInUnit(p.secondAlarmMg, 'NH3', unit);
    const gasBasis = `${GBZ_2_1} 氨 PC-TWA 20 mg/m³; ${GB_T_50493}`;
    const rules: PackRule[] = [
      {
        check: 'fan-interlock',
        rule: {
          id: packRuleId(id, 'fan-interlock'),
          kind: 'interlock',
          point: b.nh3!,
          demand: `\${${b.nh3}} >= ${first}`,
          action: `\${${b.exhaustFan}}`,
          within: p.fanWithin,
          severity: 4,
          message: `${name}氨气报警而事故排风机未启动：氨气积聚，中毒和爆炸危险`,
          basis: GB_50072,
        },
      },
    ];
    if (b.exhaustFanArmed) {
      rules.push({
        check: 'fan-armed',
        rule: { id: packRuleId(id, 'fan-armed'), kind: 'interlock', point: b.nh3!, armed: { point: b.exhaustFanArmed, equals: true }, armedDelay: 5000, bypassSeverity: 3, message: `${name}氨气浓度与事故排风机联锁未投入：泄漏时风机不会自动启动`, basis: GB_50072 },
      });
    }
    return {
      limits: [
        {
          check: 'nh3-limits',
          indicator: 'nh3',
          limits: {
            H: level(first, 3, `${name}氨气浓度一级报警：氨泄漏，刺激和中毒危险，须启动排风并查漏`, gasBasis),
            HH: level(second, 4, `${name}氨气浓度二级报警：严重泄漏，人员须撤离，禁止明火`, gasBasis),
          },
        },
      ],
      rules,
      findings: [],
    };
  },
};
