import type { ReadingValue } from '../../../gateway/core/reading.js';
import { pt } from './pack-bench.js';

/** A value, or a function of virtual time (ms); undefined publishes nothing at that time. */
export type Drive = ReadingValue | undefined | ((t: number) => ReadingValue | undefined);

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


export const oxygenLance: PackCase = {
  pack: 'oxygen-lance',
  points: [
    pt('bof1.o2p', '1#转炉氧气压力', 'MPa'),
    pt('bof1.win', '1#转炉氧枪进水流量', 'm3/h'),
    pt('bof1.wout', '1#转炉氧枪出水流量', 'm3/h'),
    pt('bof1.tout', '1#转炉氧枪出水温度', '°C'),
    pt('bof1.blowing', '1#转炉吹炼中'),
    pt('bof1.lift_armed', '1#转炉氧枪自动提升联锁投入'),
    pt('bof1.lance_up', '1#转炉氧枪已提升'),
    pt('bof1.tilt_armed', '1#转炉倾动联锁投入'),
  ],
  equipment: [
    {
      id: 'bof1',
      type: 'oxygen-lance',
      name: '1#转炉',
      bind: { oxygenPressure: 'bof1.o2p', waterInFlow: 'bof1.win', waterOutFlow: 'bof1.wout', waterOutTemp: 'bof1.tout', blowing: 'bof1.blowing', lanceLiftArmed: 'bof1.lift_armed', lanceRaised: 'bof1.lance_up', tiltArmed: 'bof1.tilt_armed' },
      params: { oxygenPressureLow: 0.8, waterInLow: 100, flowDifference: 5 },
    },
  ],
  normal: { 'bof1.o2p': 1.0, 'bof1.win': 120, 'bof1.wout': 119, 'bof1.tout': 40, 'bof1.blowing': true, 'bof1.lift_armed': true, 'bof1.lance_up': false, 'bof1.tilt_armed': true },
  scenarios: [
    { name: 'oxygen pressure low', set: { 'bof1.o2p': 0.6 }, alarmId: 'bof1.o2p:L', severity: 2, message: '氧气压力低', basis: '第四条(四)' },
    { name: 'inlet flow low', set: { 'bof1.win': 90, 'bof1.wout': 89 }, alarmId: 'bof1.win:L', severity: 3, message: '进水流量低', basis: '第四条(四)' },
    { name: 'flow difference (leak)', set: { 'bof1.wout': 110, 'bof1.lance_up': (t) => t >= 12_000 }, alarmId: 'bof1.flow-difference:DEV', severity: 4, message: '进出水流量差大', basis: '第四条(四)' },
    { name: 'outlet temperature high', set: { 'bof1.tout': 55 }, alarmId: 'bof1.tout:H', severity: 3, message: '出水温度高', basis: '第四条(四)' },
    { name: 'lance lift interlock not armed while blowing', set: { 'bof1.lift_armed': false }, alarmId: 'bof1.lance-lift-armed:BYPASS', severity: 4, message: '氧(副)枪自动提升联锁未投入', basis: '第四条(四)' },
    { name: 'tilt interlock not armed', set: { 'bof1.tilt_armed': false }, alarmId: 'bof1.tilt-armed:BYPASS', severity: 4, message: '炉体倾动联锁未投入', basis: '第四条(四)' },
    { name: 'lance not lifted on a leak', set: { 'bof1.wout': 110 }, alarmId: 'bof1.lance-lift-demand:INTERLOCK', severity: 4, message: '氧(副)枪自动提升未动作', basis: '第四条(四)' },
  ],
};

const CO = 'GB 6222';

export const gasHolder: PackCase = {
  pack: 'gas-holder',
  points: [
    pt('gh1.level', '1#煤气柜柜位', 'm'),
    pt('gh1.pressure', '1#煤气柜压力', 'kPa'),
    pt('gh1.tilt', '1#煤气柜活塞倾斜', 'mm'),
    pt('gh1.speed', '1#煤气柜活塞速度', 'm/min'),
    pt('gh1.co_a', '活塞上部CO-A', 'ppm'),
    pt('gh1.co_b', '活塞上部CO-B', 'ppm'),
    pt('gh1.co_c', '活塞上部CO-C', 'ppm'),
  ],
  equipment: [
    {
      id: 'gh1',
      type: 'gas-holder',
      name: '1#煤气柜',
      bind: { level: 'gh1.level', pressure: 'gh1.pressure', pistonTilt: 'gh1.tilt', pistonSpeed: 'gh1.speed', coA: 'gh1.co_a', coB: 'gh1.co_b', coC: 'gh1.co_c' },
      params: { gas: 'ldg', level: { LL: 5, L: 10, H: 40, HH: 45 }, pressure: { L: 2.5, H: 3.5 }, tilt: { H: 50, HH: 80 }, speedHigh: 3 },
    },
  ],
  normal: { 'gh1.level': 25, 'gh1.pressure': 3, 'gh1.tilt': 10, 'gh1.speed': 1, 'gh1.co_a': 2, 'gh1.co_b': 3, 'gh1.co_c': 2 },
  scenarios: [
    { name: 'level low low', set: { 'gh1.level': 4 }, alarmId: 'gh1.level:LL', severity: 4, message: '柜位低低', basis: CO },
    { name: 'level high high', set: { 'gh1.level': 46 }, alarmId: 'gh1.level:HH', severity: 4, message: '柜位高高', basis: CO },
    { name: 'pressure low', set: { 'gh1.pressure': 2 }, alarmId: 'gh1.pressure:L', severity: 3, message: '压力低', basis: CO },
    { name: 'piston tilt', set: { 'gh1.tilt': 60 }, alarmId: 'gh1.tilt:H', severity: 3, message: '活塞倾斜超限', basis: CO },
    { name: 'piston speed', set: { 'gh1.speed': 4 }, alarmId: 'gh1.speed:H', severity: 3, message: '活塞速度过快', basis: CO },
    { name: 'one CO channel first alarm', set: { 'gh1.co_a': 30 }, alarmId: 'gh1.co_a:H', severity: 2, message: '一级报警', basis: 'GBZ 2.1' },
    { name: 'CO 2oo3 vote', set: { 'gh1.co_a': 200, 'gh1.co_c': 180 }, alarmId: 'gh1.co-vote:VOTE', severity: 4, message: '2oo3 表决二级报警', basis: 'IEC 61511' },
  ],
};

export const coDetectors: PackCase = {
  pack: 'co-detectors',
  points: [pt('booster.co', '加压机房一氧化碳', 'ppm', { area: 'gas' }), pt('ctrl.co', '高炉主控室一氧化碳', 'mg/m3', { area: 'gas' })],
  equipment: [
    {
      id: 'co',
      type: 'co-detectors',
      name: '煤气区域CO报警器',
      params: {
        places: [
          { id: 'booster', name: '1#加压机房', location: '2002' },
          { id: 'bf-ctrl', name: '1#高炉主控室', location: '1004' },
        ],
        detectors: [
          { point: 'booster.co', place: 'booster' },
          { point: 'ctrl.co', place: 'bf-ctrl' },
        ],
      },
    },
  ],
  extra: { alarms: { staffedAreas: ['gas'] } },
  normal: { 'booster.co': 3, 'ctrl.co': 2 },
  scenarios: [
    { name: 'booster room first alarm (ppm)', set: { 'booster.co': 30 }, alarmId: 'booster.co:H', severity: 3, message: '1#加压机房(加压机房)一氧化碳一级报警', basis: CO },
    { name: 'booster room second alarm (ppm)', set: { 'booster.co': 170 }, alarmId: 'booster.co:HH', severity: 4, message: '二级报警', basis: CO },
    { name: 'control room first alarm (mg/m³ at 30)', set: { 'ctrl.co': 31 }, alarmId: 'ctrl.co:H', severity: 3, message: '人员聚集场所', basis: CO },
    { name: 'detector data stops', set: { 'ctrl.co': undefined }, alarmId: 'ctrl.co:STALE', severity: 3, message: '数据中断', basis: '第四条(六)' },
  ],
};

export const dryDust: PackCase = {
  pack: 'dry-dust-collector',
  points: [
    pt('dc1.hopper_t', '1#除尘器灰斗温度', '°C'),
    pt('dc1.dp', '1#除尘器进出口压差', 'Pa'),
    pt('dc1.airlock_fault', '1#除尘器锁气卸灰阀故障'),
    pt('dc1.spark', '1#除尘器火花探测'),
    pt('dc1.venting_ok', '1#除尘器泄爆装置正常'),
  ],
  equipment: [
    {
      id: 'dc1',
      type: 'dry-dust-collector',
      name: '1#除尘器',
      bind: { hopperTemp: 'dc1.hopper_t', pressureDiff: 'dc1.dp', airlockFault: 'dc1.airlock_fault', sparkDetected: 'dc1.spark', ventingReady: 'dc1.venting_ok' },
      params: { dust: 'al-mg', pressureMode: 'negative', protection: ['venting'], pressureDiffHigh: 1500, pressureDiffLow: 300 },
    },
  ],
  normal: { 'dc1.hopper_t': 40, 'dc1.dp': 900, 'dc1.airlock_fault': false, 'dc1.spark': false, 'dc1.venting_ok': true },
  scenarios: [
    { name: 'hopper temperature high high', set: { 'dc1.hopper_t': 95 }, alarmId: 'dc1.hopper_t:HH', severity: 4, message: '疑似着火', basis: '第十一条(三)' },
    { name: 'pressure difference high', set: { 'dc1.dp': 1600 }, alarmId: 'dc1.dp:H', severity: 2, message: '滤袋堵塞', basis: '第十一条(三)' },
    { name: 'bag burst (difference low)', set: { 'dc1.dp': 200 }, alarmId: 'dc1.dp:L', severity: 2, message: '滤袋可能破损', basis: '第十一条(三)' },
    { name: 'airlock fault', set: { 'dc1.airlock_fault': true }, alarmId: 'dc1.airlock_fault:FAULT', severity: 3, message: '锁气卸灰阀故障', basis: '第十一条(六)' },
    { name: 'spark detected', set: { 'dc1.spark': true }, alarmId: 'dc1.spark:SPARK', severity: 4, message: '火花探测报警', basis: '第十一条(四)' },
    { name: 'venting device not ready', set: { 'dc1.venting_ok': false }, alarmId: 'dc1.venting_ok:NOT_READY', severity: 3, message: '泄爆装置故障', basis: '第十一条(三)' },
  ],
};

export const wetDust: PackCase = {
  pack: 'wet-dust-collector',
  points: [pt('wdc1.level', '湿式除尘器水箱液位', 'm'), pt('wdc1.flow', '湿式除尘器循环水流量', 'm3/h'), pt('wdc1.h2', '湿式除尘器氢气', '%LEL')],
  equipment: [{ id: 'wdc1', type: 'wet-dust-collector', name: '2#湿式除尘器', bind: { tankLevel: 'wdc1.level', circulatingFlow: 'wdc1.flow', hydrogen: 'wdc1.h2' }, params: { waterReactive: true, levelLow: 0.5, flowLow: 20 } }],
  normal: { 'wdc1.level': 1.2, 'wdc1.flow': 30, 'wdc1.h2': 2 },
  scenarios: [
    { name: 'tank level low', set: { 'wdc1.level': 0.4 }, alarmId: 'wdc1.level:L', severity: 3, message: '水箱液位低', basis: 'GB 15577-2018' },
    { name: 'circulating flow low', set: { 'wdc1.flow': 10 }, alarmId: 'wdc1.flow:L', severity: 3, message: '循环水流量低', basis: 'GB 15577-2018' },
    { name: 'hydrogen second alarm', set: { 'wdc1.h2': 55 }, alarmId: 'wdc1.h2:HH', severity: 4, message: '氢气积聚', basis: 'GB/T 50493' },
  ],
};

/** Confined space: ventilated from 0 s, a passing test from the start, people go in at 5 s with the attendant. */
export const confinedSpace: PackCase = {
  pack: 'confined-space',
  points: [
    pt('cs1.o2', '1#有限空间氧气', '%VOL'),
    pt('cs1.lel', '1#有限空间可燃气', '%LEL'),
    pt('cs1.h2s', '1#有限空间硫化氢', 'mg/m3'),
    pt('cs1.co', '1#有限空间一氧化碳', 'ppm'),
    pt('cs1.inside', '1#有限空间有人作业'),
    pt('cs1.fan', '1#有限空间通风机'),
    pt('cs1.attendant', '1#有限空间监护人在场'),
  ],
  equipment: [
    {
      id: 'cs1',
      type: 'confined-space',
      name: '1#煤气管道有限空间',
      bind: { o2: 'cs1.o2', lel: 'cs1.lel', h2s: 'cs1.h2s', co: 'cs1.co', inside: 'cs1.inside', ventilation: 'cs1.fan', attendant: 'cs1.attendant' },
      params: { testValidFor: '10s', monitorTimeout: '5s', attendantDelay: '5s' },
    },
  ],
  normal: { 'cs1.o2': 20.9, 'cs1.lel': 0, 'cs1.h2s': 0, 'cs1.co': 2, 'cs1.inside': (t) => t >= 5000, 'cs1.fan': true, 'cs1.attendant': true },
  scenarios: [
    { name: 'oxygen low (portable detector)', set: { 'cs1.o2': 18 }, alarmId: 'cs1.o2:L', severity: 4, message: '缺氧窒息', basis: 'GB/T 50493' },
    { name: 'H2S first alarm at 10 mg/m³', set: { 'cs1.h2s': 12 }, alarmId: 'cs1.h2s:H', severity: 3, message: '硫化氢一级报警', basis: 'GBZ 2.1' },
    { name: 'a reading out of band while people are inside', set: { 'cs1.co': 30 }, alarmId: 'cs1.out-of-band.co:OUT_OF_BAND', severity: 4, message: '作业中一氧化碳浓度越限', basis: '第13号' },
    { name: 'attendant leaves while people are inside', set: { 'cs1.attendant': false }, alarmId: 'cs1.attendant:ATTENDANT', severity: 4, message: '监护人不在场', basis: '第十三条(二)' },
    { name: 'second entry without ventilation or test', set: { 'cs1.fan': false, 'cs1.inside': (t) => t >= 25_000 }, alarmId: 'cs1.entry:SEQUENCE', severity: 4, message: '先通风、再检测、后作业', basis: '第十三条(二)' },
    { name: 'detector stops reporting during entry', set: { 'cs1.lel': undefined }, alarmId: 'cs1.entry:MONITOR', severity: 4, message: '监测中断', basis: '第十三条(二)' },
  ],
};

export const ammonia: PackCase = {
  pack: 'ammonia-refrigeration',
  points: [pt('nh3.room', '氨制冷机房氨气', 'ppm'), pt('nh3.fan', '事故排风机运行'), pt('nh3.fan_armed', '排风机联锁投入')],
  equipment: [{ id: 'nh3', type: 'ammonia-refrigeration', name: '氨制冷机房', bind: { nh3: 'nh3.room', exhaustFan: 'nh3.fan', exhaustFanArmed: 'nh3.fan_armed' } }],
  normal: { 'nh3.room': 5, 'nh3.fan': false, 'nh3.fan_armed': true },
  scenarios: [
    { name: 'first alarm at 28.7 ppm (20 mg/m³)', set: { 'nh3.room': 30, 'nh3.fan': (t) => t >= 12_000 }, alarmId: 'nh3.room:H', severity: 3, message: '氨气浓度一级报警', basis: 'GBZ 2.1' },
    { name: 'second alarm at 57.4 ppm (40 mg/m³)', set: { 'nh3.room': 60, 'nh3.fan': true }, alarmId: 'nh3.room:HH', severity: 4, message: '二级报警', basis: 'GBZ 2.1' },
    { name: 'exhaust fan does not start', set: { 'nh3.room': 30 }, alarmId: 'nh3.fan-interlock:INTERLOCK', severity: 4, message: '事故排风机未启动', basis: 'GB 50072' },
    { name: 'fan interlock not armed', set: { 'nh3.fan_armed': false }, alarmId: 'nh3.fan-armed:BYPASS', severity: 3, message: '联锁未投入', basis: 'GB 50072' },
  ],
};

export const hazchemTank: PackCase = {
  pack: 'hazchem-tank',
  points: [
    pt('t1.temp', '1#储罐温度', '°C'),
    pt('t1.press', '1#储罐压力', 'kPa'),
    pt('t1.level', '1#储罐液位', 'm'),
    pt('t1.flow', '1#储罐进料流量', 'm3/h'),
    pt('t1.lel', '罐区可燃气体', '%LEL'),
    pt('t1.tox', '罐区有毒气体', 'mg/m3'),
  ],
  equipment: [
    {
      id: 't1',
      type: 'hazchem-tank',
      name: '1#储罐',
      bind: { temperature: 't1.temp', pressure: 't1.press', level: 't1.level', flow: 't1.flow', combustible: 't1.lel', toxic: 't1.tox' },
      params: { substance: '甲醇', temperature: { H: 35, HH: 40 }, pressure: { LL: -0.5, H: 5, HH: 8 }, level: { LL: 0.5, L: 1, H: 8, HH: 9 }, flow: { H: 50 }, toxicOel: 25 },
    },
  ],
  normal: { 't1.temp': 20, 't1.press': 2, 't1.level': 5, 't1.flow': 20, 't1.lel': 0, 't1.tox': 1 },
  scenarios: [
    { name: 'temperature high high', set: { 't1.temp': 41 }, alarmId: 't1.temp:HH', severity: 4, message: '温度高高报', basis: '第40号' },
    { name: 'pressure high', set: { 't1.press': 6 }, alarmId: 't1.press:H', severity: 3, message: '压力高报', basis: 'AQ 3035' },
    { name: 'level low low', set: { 't1.level': 0.4 }, alarmId: 't1.level:LL', severity: 4, message: '液位低低报', basis: '第十三条(一)' },
    { name: 'level high high', set: { 't1.level': 9.5 }, alarmId: 't1.level:HH', severity: 4, message: '防止冒罐', basis: '第十三条(一)' },
    { name: 'flow high', set: { 't1.flow': 60 }, alarmId: 't1.flow:H', severity: 3, message: '流量高报', basis: '第十三条(一)' },
    { name: 'combustible first alarm', set: { 't1.lel': 26 }, alarmId: 't1.lel:H', severity: 3, message: '可燃气体一级报警', basis: 'GB/T 50493' },
    { name: 'toxic second alarm (200 %OEL)', set: { 't1.tox': 51 }, alarmId: 't1.tox:HH', severity: 4, message: '200 %OEL', basis: 'GB/T 50493' },
  ],
};

export const CASES: PackCase[] = [blastFurnace, oxygenLance, gasHolder, coDetectors, dryDust, wetDust, confinedSpace, ammonia, hazchemTank];
