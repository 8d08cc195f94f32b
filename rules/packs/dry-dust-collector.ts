import { z } from 'zod';
import { DUST_AIRLOCK, DUST_DRY_EXPLOSION_CONTROL, DUST_POSITIVE_PRESSURE } from './basis.js';
import { level, packRuleId, type EquipmentPack, type PackFinding, type PackLimits, type PackRule } from './pack.js';

const DUST = { 'al-mg': '铝镁等金属粉尘', 'other-metal': '其他金属粉尘', wood: '木质粉尘', other: '其他可燃性粉尘' } as const;
type DustType = keyof typeof DUST;

const PROTECTIONS = { venting: '泄爆', isolation: '隔爆', suppression: '抑爆', inerting: '惰化' } as const;
type Protection = keyof typeof PROTECTIONS;

const params = z.strictObject({
  dust: z.enum(Object.keys(DUST) as [DustType, ...DustType[]]),
  /** 负压 negative-pressure collection (the fan after the collector), or 正压 positive. */
  pressureMode: z.enum(['negative', 'positive']).default('negative'),
  /** Explosion protection installed on the collector (as built, not as signalled). */
  protection: z.array(z.enum(Object.keys(PROTECTIONS) as [Protection, ...Protection[]])).default([]),
  /** A spark detection and extinguishing system is installed (also implied by binding sparkDetected). */
  sparkDetection: z.boolean().default(false),
  /** A rotary airlock (锁气卸灰装置) is installed (also implied by binding airlockFault). */
  airlock: z.boolean().default(false),
  /** Ash-hopper temperature H and HH, °C (unverified defaults: 70 and 90). */
  hopperTempHigh: z.number().default(70),
  hopperTempHighHigh: z.number().default(90),
  /** Inlet–outlet pressure difference H (bags clogged) and L (bag burst): from the collector's design. */
  pressureDiffHigh: z.number().positive(),
  pressureDiffLow: z.number().nonnegative().optional(),
});

/**
 * 干式除尘器 by dust type: ash-hopper temperature, inlet–outlet pressure difference, rotary airlock
 * fault, spark detection and the venting / isolation / suppression / inerting status; configuration
 * findings for the items of 判定标准 第十一条 that follow from how the collector is built.
 */
export const dryDustCollectorPack: EquipmentPack<typeof params> = {
  type: 'dry-dust-collector',
  name: '干式除尘器',
  indicators: {
    hopperTemp: { name: '灰斗温度', units: ['°C', '℃'] },
    pressureDiff: { name: '进出口风压差', units: ['Pa', 'kPa'] },
    airlockFault: { name: '锁气卸灰阀故障', required: false },
    sparkDetected: { name: '火花探测报警', required: false },
    ventingReady: { name: '泄爆装置正常', required: false },
    isolationReady: { name: '隔爆装置正常', required: false },
    suppressionReady: { name: '抑爆装置正常', required: false },
    inertingReady: { name: '惰化系统正常', required: false },
  },
  params,
  checks: {
    'hopper-temp': '灰斗温度高',
    'pressure-diff': '进出口风压差异常',
    'airlock-fault': '锁气卸灰阀故障',
    spark: '火花探测报警',
    'protection-status': '泄爆/隔爆/抑爆/惰化装置故障',
    'no-explosion-control': '未采取泄爆、惰化、抑爆措施',
    'positive-pressure-al-mg': '铝镁粉尘正压除尘',
    'positive-pressure-no-spark': '正压除尘未设火花探测消除',
    'no-airlock': '未设锁气卸灰装置',
  },
  expand({ id, name, params: p, bound: b }) {
    const who = `${name}(${DUST[p.dust]})`;
    const limits: PackLimits[] = [
      {
        check: 'hopper-temp',
        indicator: 'hopperTemp',
        limits: {
          H: level(p.hopperTempHigh, 3, `${who}灰斗温度高：积灰可能阴燃，是粉尘爆炸的点燃源`, DUST_DRY_EXPLOSION_CONTROL),
          HH: level(p.hopperTempHighHigh, 4, `${who}灰斗温度高高：疑似着火，须停机隔离并启动抑爆/灭火`, DUST_DRY_EXPLOSION_CONTROL),
        },
      },
      {
        check: 'pressure-diff',
        indicator: 'pressureDiff',
        limits: {
          H: level(p.pressureDiffHigh, 2, `${who}进出口风压差高：滤袋堵塞，管道积尘增加爆炸风险`, DUST_DRY_EXPLOSION_CONTROL),
          ...(p.pressureDiffLow !== undefined ? { L: level(p.pressureDiffLow, 2, `${who}进出口风压差低：滤袋可能破损，粉尘外逸`, DUST_DRY_EXPLOSION_CONTROL) } : {}),
        },
      },
    ];
    const rules: PackRule[] = [];
    if (b.airlockFault) {
      rules.push({ check: 'airlock-fault', rule: { id: packRuleId(id, 'airlock-fault'), kind: 'discrete', point: b.airlockFault, alarmWhen: true, condition: 'FAULT', severity: 3, onDelay: 2000, message: `${who}锁气卸灰阀故障：灰斗积灰且火焰可能经卸灰口传播`, basis: DUST_AIRLOCK } });
    }
    if (b.sparkDetected) {
      rules.push({ check: 'spark', rule: { id: packRuleId(id, 'spark'), kind: 'discrete', point: b.sparkDetected, alarmWhen: true, condition: 'SPARK', severity: 4, latch: true, message: `${who}火花探测报警：火花进入除尘系统，可能引发粉尘爆炸`, basis: DUST_POSITIVE_PRESSURE } });
    }
    for (const [prot, label] of Object.entries(PROTECTIONS)) {
      const ind = `${prot}Ready`;
      if (!b[ind]) continue;
      rules.push({
        check: 'protection-status',
        rule: { id: packRuleId(id, `protection-status.${prot}`), kind: 'discrete', point: b[ind], alarmWhen: false, condition: 'NOT_READY', severity: 3, onDelay: 5000, message: `${who}${label}装置故障：爆炸防控措施失效`, basis: DUST_DRY_EXPLOSION_CONTROL },
      });
    }
    const findings: PackFinding[] = [];
    const installed = new Set(p.protection);
    if (!installed.has('venting') && !installed.has('inerting') && !installed.has('suppression')) {
      findings.push({ check: 'no-explosion-control', severity: 4, message: `${who}未采取泄爆、惰化、抑爆等任一种爆炸防控措施：属重大事故隐患`, basis: DUST_DRY_EXPLOSION_CONTROL });
    }
    // 第十一条(四): Al/Mg dust under positive pressure is the hidden danger itself (spark detection
    // does not make it acceptable); other dusts blown under positive pressure need spark detection.
    const spark = p.sparkDetection || b.sparkDetected !== undefined;
    if (p.pressureMode === 'positive' && p.dust === 'al-mg') {
      findings.push({ check: 'positive-pressure-al-mg', severity: 4, message: `${who}铝镁等金属粉尘采用正压除尘方式：属重大事故隐患，须改为负压除尘${spark ? '(设有火花探测也不能替代)' : ''}`, basis: DUST_POSITIVE_PRESSURE });
    } else if (p.pressureMode === 'positive' && !spark) {
      findings.push({ check: 'positive-pressure-no-spark', severity: 4, message: `${who}正压吹送粉尘未采取火花探测消除等防范点燃源措施：属重大事故隐患`, basis: DUST_POSITIVE_PRESSURE });
    }
    if ((p.dust === 'al-mg' || p.dust === 'wood') && !p.airlock && !b.airlockFault) {
      findings.push({ check: 'no-airlock', severity: 4, message: `${who}干式除尘系统未设置锁气卸灰装置：属重大事故隐患`, basis: DUST_AIRLOCK });
    }
    return { limits, rules, findings };
  },
};
