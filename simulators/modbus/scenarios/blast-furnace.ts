import { ramp } from '../demo-plant.js';
import { analog, between, bit, type Scenario } from './scenario.js';

/**
 * A blast furnace top (高炉炉顶), 判定标准 第四条(五): top pressure runs 20 kPa over its set value at
 * 10–30 s; the relief interlock is switched off 35–50 s; at 55–75 s the pressure reaches the relief set
 * value and the valve stays shut until 70 s; 80–95 s the set value is raised above the design maximum
 * (250 kPa); 100–115 s the relief set value above the design pressure (300 kPa).
 */
export const blastFurnaceScenario: Scenario = {
  description: '高炉炉顶: 顶压超设定, 放散联锁解除, 达放散值放散阀拒动, 设定值超设计最高压力, 放散设定值超设计压力',
  config: 'scenario-blast-furnace.yaml',
  cycleS: 120,
  signals: {
    'bf1.tp': analog(0, (t) => (between(t, 10, 30) ? 225 : between(t, 55, 75) ? ramp(t, 55, 60, 205, 270) : 200)),
    'bf1.tp_set': analog(2, (t) => (between(t, 80, 95) ? 255 : 205)),
    'bf1.relief_set': analog(4, (t) => (between(t, 100, 115) ? 310 : 260)),
    'bf1.relief_armed': bit(0, (t) => !between(t, 35, 50)),
    'bf1.relief_open': bit(1, (t) => between(t, 70, 78)),
    'bf1.producing': bit(2, () => true),
  },
  expect: [
    { alarmId: 'bf1.top-pressure-over-set:DEV', after: 10 },
    { alarmId: 'bf1.relief-interlock-armed:BYPASS', after: 35 },
    { alarmId: 'bf1.relief-valve-demand:INTERLOCK', after: 55 },
    { alarmId: 'bf1.set-above-design-max:DESIGN_MAX', after: 80 },
    { alarmId: 'bf1.relief-set-above-design:DESIGN_PRESSURE', after: 100 },
  ],
};
