import type { ReadingValue } from '../../../gateway/core/reading.js';
import { pt } from './pack-bench.js';

/** A value, or a function of virtual time (ms). */
export type Drive = ReadingValue | ((t: number) => ReadingValue);

export interface Scenario {
  /** What the scenario shows, for the test name. */
  name: string;
  /** Points driven differently from 10 s on (the others keep their normal values). */
  set: Record<string, Drive>;
  alarmId: string;
  severity: 1 | 2 | 3 | 4;
  /** Text the Chinese message must contain. */
  message: string;
  /** Text the basis must contain. */
  basis: string;
}

export interface PackCase {
  pack: string;
  points: object[];
  equipment: object[];
  extra?: Record<string, unknown>;
  /** Every point's value in normal operation (each is published once a second). */
  normal: Record<string, Drive>;
  scenarios: Scenario[];
}

const J10 = '应急管理部令第10号';

export const blastFurnace: PackCase = {
  pack: 'blast-furnace',
  points: [
    pt('bf1.tp', '1#高炉炉顶压力', 'kPa'),
    pt('bf1.tp_set', '1#高炉炉顶压力设定值', 'kPa'),
    pt('bf1.relief_armed', '1#高炉放散阀联锁投入'),
    pt('bf1.relief_set', '1#高炉联锁放散压力设定值', 'kPa'),
    pt('bf1.relief_open', '1#高炉放散阀开到位'),
    pt('bf1.producing', '1#高炉生产中'),
  ],
  equipment: [
    {
      id: 'bf1',
      type: 'blast-furnace',
      name: '1#高炉',
      bind: { topPressure: 'bf1.tp', topPressureSet: 'bf1.tp_set', reliefArmed: 'bf1.relief_armed', reliefSet: 'bf1.relief_set', reliefOpen: 'bf1.relief_open', producing: 'bf1.producing' },
      params: { designMaxPressure: 250, designPressure: 300 },
    },
  ],
  normal: { 'bf1.tp': 200, 'bf1.tp_set': 205, 'bf1.relief_armed': true, 'bf1.relief_set': 260, 'bf1.relief_open': false, 'bf1.producing': true },
  scenarios: [
    { name: 'top pressure above its set value', set: { 'bf1.tp': 220 }, alarmId: 'bf1.top-pressure-over-set:DEV', severity: 3, message: '炉顶工作压力高于设定值', basis: `${J10}) 第四条(五)` },
    { name: 'set value above the design maximum', set: { 'bf1.tp_set': 255 }, alarmId: 'bf1.set-above-design-max:DESIGN_MAX', severity: 4, message: '超过设计最高工作压力', basis: '第四条(五)' },
    { name: 'relief interlock not armed while producing', set: { 'bf1.relief_armed': false }, alarmId: 'bf1.relief-interlock-armed:BYPASS', severity: 4, message: '联锁未投入', basis: '第四条(五)' },
    { name: 'relief set value above the design pressure', set: { 'bf1.relief_set': 310 }, alarmId: 'bf1.relief-set-above-design:DESIGN_PRESSURE', severity: 4, message: '超过设备设计压力', basis: '第四条(五)' },
    { name: 'relief valve not opening on demand', set: { 'bf1.tp': 265, 'bf1.tp_set': 262 }, alarmId: 'bf1.relief-valve-demand:INTERLOCK', severity: 4, message: '放散阀未打开', basis: '第四条(五)' },
  ],
};

export const CASES: PackCase[] = [blastFurnace];
