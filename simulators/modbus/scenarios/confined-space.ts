import { ramp } from '../demo-plant.js';
import { between, bit, type Scenario } from './scenario.js';

/** The portable four-gas detector is out of radio coverage (deep in the gas main) 60–90 s. */
const detectorSilent = (t: number) => between(t, 60, 90);
const gas = (at: (t: number) => number) => (t: number) => (detectorSilent(t) ? undefined : at(t));

/**
 * A gas-main entry (有限空间): fan on at 10 s, a passing test from 15 s, entry at 30 s with the
 * attendant; the attendant walks away 50–90 s; the portable four-gas detector (MQTT, a wireless
 * pump-suction detector carried in) goes silent 60–90 s, so the work goes on unmonitored
 * (`MONITOR`); CO climbs to 40 ppm at 100–115 s, O2 drops at 120–130 s, H2S 125–135 s, LEL 130–140 s;
 * people come out at 145 s; the fan stops at 150 s and a second entry at 175 s has no valid test
 * (the scenario config allows a test 20 s old and 10 s without readings, to fit the cycle; the
 * pack's defaults are 30 min and 1 min).
 */
export const confinedSpaceScenario: Scenario = {
  description: '有限空间作业: 先通风再检测后进入, 监护人离开, 作业中便携式检测仪信号中断, 一氧化碳/氧气/硫化氢/可燃气越限, 停风后再次进入未检测',
  config: 'scenario-confined-space.yaml',
  cycleS: 200,
  signals: {
    'cs1.inside': bit(0, (t) => between(t, 30, 145) || t >= 175),
    'cs1.fan': bit(1, (t) => between(t, 10, 150)),
    'cs1.attendant': bit(2, (t) => !between(t, 50, 90)),
  },
  mqtt: {
    'cs1.o2': gas((t) => (between(t, 120, 130) ? 18.6 : 20.9)),
    'cs1.lel': gas((t) => (between(t, 130, 140) ? 28 : 0)),
    'cs1.h2s': gas((t) => (between(t, 125, 135) ? 12 : 0.2)),
    'cs1.co': gas((t) => (t < 115 ? ramp(t, 100, 108, 2, 40) : ramp(t, 115, 119, 40, 2))),
  },
  expect: [
    { alarmId: 'cs1.attendant:ATTENDANT', after: 50 },
    { alarmId: 'cs1.entry:MONITOR', after: 60 },
    { alarmId: 'cs1.co:H', after: 100 },
    { alarmId: 'cs1.out-of-band.co:OUT_OF_BAND', after: 100 },
    { alarmId: 'cs1.out-of-band.o2:OUT_OF_BAND', after: 120 },
    { alarmId: 'cs1.o2:L', after: 120 },
    { alarmId: 'cs1.h2s:H', after: 125 },
    { alarmId: 'cs1.lel:H', after: 130 },
    { alarmId: 'cs1.entry:SEQUENCE', after: 175 },
  ],
};
