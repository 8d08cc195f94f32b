import { ramp } from '../demo-plant.js';
import { analog, between, type Scenario } from './scenario.js';

/**
 * Fixed CO detectors (固定式一氧化碳报警器), 判定标准 第四条(六): the booster room (2002) passes 24 and
 * 160 ppm at 10–30 s; the blast-furnace control room (1004, mg/m³ detector) reaches 35 mg/m³ at
 * 50–70 s; the wireless detector above the gas-holder piston (2019, MQTT) stops reporting at 60–90 s
 * (`STALE`: its alarms would no longer reach the console). The config also lists a shift room (1006)
 * with no detector, which `coverage` reports.
 */
export const coDetectorsScenario: Scenario = {
  description: '固定式一氧化碳报警器: 加压机房一级/二级报警, 高炉主控室(人员聚集场所)一级报警, 煤气柜活塞上部无线报警器数据中断; coverage 报告交接班室未设报警器',
  config: 'scenario-co-detectors.yaml',
  cycleS: 100,
  signals: {
    'booster.co': analog(0, (t) => (t < 30 ? ramp(t, 10, 25, 3, 180) : ramp(t, 30, 40, 180, 3))),
    'ctrl.co': analog(2, (t) => (t < 70 ? ramp(t, 50, 60, 2, 35) : ramp(t, 70, 75, 35, 2))),
  },
  mqtt: {
    'gh.piston_co': (t) => (between(t, 60, 90) ? undefined : 3 + Math.sin(t / 4)),
  },
  expect: [
    { alarmId: 'booster.co:H', after: 10 },
    { alarmId: 'booster.co:HH', after: 15 },
    { alarmId: 'ctrl.co:H', after: 50 },
    { alarmId: 'gh.piston_co:STALE', after: 60 },
  ],
};
