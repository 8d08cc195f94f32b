import { ramp } from '../demo-plant.js';
import { analog, between, type Scenario } from './scenario.js';

/**
 * A methanol tank of a major hazard source (危化品重大危险源): temperature to 41 °C (HH) at 20–40 s,
 * pressure 6 kPa (H) at 50–60 s, level up to 9.5 m (HH) at 70–85 s and down to 0.4 m (LL) at
 * 100–115 s, inflow 60 m³/h (H) at 120–130 s, combustible gas 30 %LEL at 140–150 s, methanol vapour
 * 55 mg/m³ (over 200 % of its 25 mg/m³ OEL) at 155–165 s.
 */
export const hazchemTankScenario: Scenario = {
  description: '危化品重大危险源甲醇储罐: 温度/压力/液位/流量 LL-L-H-HH, 可燃气体与有毒气体(%OEL)报警',
  config: 'scenario-hazchem-tank.yaml',
  cycleS: 180,
  signals: {
    't1.temp': analog(0, (t) => (t < 40 ? ramp(t, 20, 35, 20, 41) : ramp(t, 40, 48, 41, 20))),
    't1.press': analog(2, (t) => (between(t, 50, 60) ? 6 : 2)),
    't1.level': analog(4, (t) => (t < 85 ? ramp(t, 65, 80, 5, 9.5) : t < 100 ? ramp(t, 85, 98, 9.5, 0.4) : ramp(t, 115, 130, 0.4, 5))),
    't1.flow': analog(6, (t) => (between(t, 120, 130) ? 60 : 20)),
    't1.lel': analog(8, (t) => (between(t, 140, 150) ? 30 : 0)),
    't1.tox': analog(10, (t) => (between(t, 155, 165) ? 55 : 1)),
  },
  expect: [
    { alarmId: 't1.temp:HH', after: 20 },
    { alarmId: 't1.press:H', after: 50 },
    { alarmId: 't1.level:HH', after: 65 },
    { alarmId: 't1.level:LL', after: 85 },
    { alarmId: 't1.flow:H', after: 120 },
    { alarmId: 't1.lel:H', after: 140 },
    { alarmId: 't1.tox:HH', after: 155 },
  ],
};
