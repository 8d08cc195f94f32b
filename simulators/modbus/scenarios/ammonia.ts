import { ramp } from '../demo-plant.js';
import { analog, between, bit, type Scenario } from './scenario.js';

/**
 * An ammonia machine room (液氨制冷), NH3 in ppm: a leak from 20 s passes 28.7 ppm (20 mg/m³) and the
 * exhaust fan does not start; at 45 s it passes 57.4 ppm (40 mg/m³); the fan starts at 60 s and the
 * level falls by 90 s; 100–115 s the fan interlock is switched off.
 */
export const ammoniaScenario: Scenario = {
  description: '液氨制冷机房: 氨泄漏超一级/二级报警, 事故排风机未联锁启动, 排风联锁被解除',
  config: 'scenario-ammonia.yaml',
  cycleS: 120,
  signals: {
    'nh3.room': analog(0, (t) => (t < 55 ? ramp(t, 20, 45, 5, 65) : ramp(t, 60, 90, 65, 5))),
    'nh3.fan': bit(0, (t) => between(t, 60, 95)),
    'nh3.fan_armed': bit(1, (t) => !between(t, 100, 115)),
  },
  expect: [
    { alarmId: 'nh3.room:H', after: 20 },
    { alarmId: 'nh3.fan-interlock:INTERLOCK', after: 30 },
    { alarmId: 'nh3.room:HH', after: 40 },
    { alarmId: 'nh3.fan-armed:BYPASS', after: 100 },
  ],
};
