import { ramp } from '../demo-plant.js';
import { analog, between, bit, type Scenario } from './scenario.js';

/**
 * An aluminium-dust dry collector and a wet collector (干式/湿式除尘器), 判定标准 第十一条: dry
 * hopper temperature to 95 °C at 10–30 s, pressure difference high 35–45 s and low 50–60 s, airlock
 * fault 62–70 s, spark 72–75 s, venting device not ready 78–90 s; wet tank level low 92–100 s,
 * circulating flow low 100–108 s, hydrogen to 55 %LEL 108–118 s.
 */
export const dustCollectorsScenario: Scenario = {
  description: '铝粉干式除尘器(灰斗温度/压差/锁气卸灰/火花/泄爆装置)与湿式除尘器(液位/循环水/氢气)',
  config: 'scenario-dust-collectors.yaml',
  cycleS: 120,
  signals: {
    'dc1.hopper_t': analog(0, (t) => (t < 30 ? ramp(t, 10, 25, 40, 95) : ramp(t, 30, 40, 95, 40))),
    'dc1.dp': analog(2, (t) => (between(t, 35, 45) ? 1600 : between(t, 50, 60) ? 200 : 900)),
    'wdc1.level': analog(4, (t) => (between(t, 92, 100) ? 0.4 : 1.2)),
    'wdc1.flow': analog(6, (t) => (between(t, 100, 108) ? 10 : 30)),
    'wdc1.h2': analog(8, (t) => (between(t, 108, 118) ? 55 : 2)),
    'dc1.airlock_fault': bit(0, (t) => between(t, 62, 70)),
    'dc1.spark': bit(1, (t) => between(t, 72, 75)),
    'dc1.venting_ok': bit(2, (t) => !between(t, 78, 90)),
  },
  expect: [
    { alarmId: 'dc1.hopper_t:HH', after: 10 },
    { alarmId: 'dc1.dp:H', after: 35 },
    { alarmId: 'dc1.dp:L', after: 50 },
    { alarmId: 'dc1.airlock_fault:FAULT', after: 62 },
    { alarmId: 'dc1.spark:SPARK', after: 72 },
    { alarmId: 'dc1.venting_ok:NOT_READY', after: 78 },
    { alarmId: 'wdc1.level:L', after: 92 },
    { alarmId: 'wdc1.flow:L', after: 100 },
    { alarmId: 'wdc1.h2:HH', after: 108 },
  ],
};
