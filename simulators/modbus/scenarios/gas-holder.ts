import { ramp } from '../demo-plant.js';
import { analog, between, type Scenario } from './scenario.js';

/**
 * A converter-gas holder (转炉煤气柜): piston speeds up 10–20 s, tilts 25–40 s, level climbs to HH at
 * 45–60 s and falls to LL at 65–85 s, pressure low 90–100 s, CO above the piston on channel A alone
 * 100–105 s (first alarm only), then on A and C past 160 ppm 105–115 s (2oo3).
 */
export const gasHolderScenario: Scenario = {
  description: '转炉煤气柜: 活塞速度快, 活塞倾斜, 柜位高高/低低, 压力低, 活塞上部一氧化碳单通道报警与 2oo3 表决',
  config: 'scenario-gas-holder.yaml',
  cycleS: 120,
  signals: {
    'gh1.level': analog(0, (t) => (t < 60 ? ramp(t, 45, 55, 25, 46) : t < 85 ? ramp(t, 60, 75, 46, 4) : ramp(t, 85, 95, 4, 25))),
    'gh1.pressure': analog(2, (t) => (between(t, 90, 100) ? 2 : 3)),
    'gh1.tilt': analog(4, (t) => (between(t, 25, 40) ? 60 : 10)),
    'gh1.speed': analog(6, (t) => (between(t, 10, 20) ? 4 : 1)),
    'gh1.co_a': analog(8, (t) => (between(t, 100, 115) ? (t < 105 ? 40 : 200) : 2)),
    'gh1.co_b': analog(10, () => 3),
    'gh1.co_c': analog(12, (t) => (between(t, 105, 115) ? 180 : 2)),
  },
  expect: [
    { alarmId: 'gh1.speed:H', after: 10 },
    { alarmId: 'gh1.tilt:H', after: 25 },
    { alarmId: 'gh1.level:HH', after: 45 },
    { alarmId: 'gh1.level:LL', after: 60 },
    { alarmId: 'gh1.pressure:L', after: 90 },
    { alarmId: 'gh1.co_a:H', after: 100 },
    { alarmId: 'gh1.co-vote:VOTE', after: 105 },
  ],
};
