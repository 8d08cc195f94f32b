import { describe, expect, it } from 'vitest';
import { stelRule } from '../../../rules/kinds/stel.js';
import { timeAtLevelRule } from '../../../rules/kinds/time-at-level.js';
import { twaRule } from '../../../rules/kinds/twa.js';
import { RuleBench } from '../harness.js';

const MIN = 60_000;
const ppm = { 'gas.co_101': { unit: 'ppm' } };

describe('exposure rules in virtual time', () => {
  it('twa: the OSHA shift (2 h 150, 2 h 75, 4 h 50 ppm, readings every 10 s) reaches 81.25 ppm at the end of the shift', () => {
    const profile = (t: number) => (t < 120 * MIN ? 150 : t < 240 * MIN ? 75 : 50);
    const bench = new RuleBench(twaRule, { id: 'co-twa', kind: 'twa', point: 'gas.co_101', limit: 81 }, ppm)
      .series('gas.co_101', 0, 480 * MIN, 10_000, profile) // the reading at 480 min closes the last minute
      .run();
    // Rising TWA: (120×150 + 120×75 + n×50)/480 crosses 81 only at n = 238: end of minute 478.
    expect(bench.transitions).toEqual([
      [MIN, false],
      [478 * MIN, true],
    ]);
    expect(bench.updates[1]).toMatchObject({ alarmId: 'gas.co_101:TWA', limit: 81 });
    expect(bench.updates[1]!.value).toBeCloseTo(81.04166, 4);
    expect(bench.updates[1]!.detail).toBe('8 小时时间加权平均浓度 81.04 ppm，限值 81 ppm');

    // With the limit at exactly 81.25 ppm the alarm comes with the 480th minute, carrying 81.25.
    const exact = new RuleBench(twaRule, { id: 'co-twa', kind: 'twa', point: 'gas.co_101', limit: 81.25 }, ppm)
      .series('gas.co_101', 0, 480 * MIN, 10_000, profile)
      .run();
    expect(exact.transitions).toEqual([
      [MIN, false],
      [480 * MIN, true],
    ]);
    expect(exact.updates[1]!.value).toBe(81.25);
  });

  it('stel: raises when the rolling 15-min mean reaches the limit and clears when it falls', () => {
    // 10 ppm background, 20 minutes at 60 ppm from minute 15, then back to 10.
    const profile = (t: number) => (t >= 15 * MIN && t < 35 * MIN ? 60 : 10);
    const bench = new RuleBench(stelRule, { id: 'co-stel', kind: 'stel', point: 'gas.co_101', limit: 26, deadband: 1 }, ppm)
      .series('gas.co_101', 0, 60 * MIN, 5000, profile)
      .run();
    // STEL known from minute 12 (80 % coverage). After k minutes at 60: (k×60 + (15−k)×10)/15 ≥ 26 → k ≥ 4.8 → 5 minutes → end of minute 20.
    // After the exposure, m minutes back at 10: ((15−m)×60 + m×10)/15 < 25 → m ≥ 10.2 → 11 → end of minute 46.
    expect(bench.transitions).toEqual([
      [12 * MIN, false],
      [20 * MIN, true],
      [46 * MIN, false],
    ]);
    expect(bench.updates[1]!.detail).toBe('15 分钟短时间接触浓度 26.7 ppm，限值 26 ppm');
  });

  it('stel: a Bad detector neither raises nor clears', () => {
    const bench = new RuleBench(stelRule, { id: 'co-stel', kind: 'stel', point: 'gas.co_101', limit: 26 }, ppm)
      .series('gas.co_101', 0, 20 * MIN, 5000, () => 100)
      .series('gas.co_101', 20 * MIN + 5000, 60 * MIN, 5000, () => null, 'BadSensorFailure')
      .run();
    expect(bench.transitions).toEqual([[12 * MIN, true]]);
  });

  it('time-at-level: 45 ppm of CO for more than 30 minutes raises, with the level and time in the text', () => {
    const profile = (t: number) => (t < 40 * MIN ? 45 : 5);
    const bench = new RuleBench(timeAtLevelRule, { id: 'co-tal', kind: 'time-at-level', point: 'gas.co_101' }, ppm)
      .series('gas.co_101', 0, 50 * MIN, 10_000, profile)
      .run();
    expect(bench.transitions).toEqual([
      [MIN, false],
      [31 * MIN, true],
      [41 * MIN, false],
    ]);
    expect(bench.updates[1]).toMatchObject({
      alarmId: 'gas.co_101:TIME_AT_LEVEL',
      value: 45,
      limit: 40,
      detail: '浓度高于 40 ppm 已持续 31m（限 30m）',
    });
    const [def] = timeAtLevelRule.alarms(timeAtLevelRule.schema.parse({ id: 'co-tal', kind: 'time-at-level', point: 'gas.co_101' }), new Map());
    expect(def).toMatchObject({ severity: 3, label: '超时接触', condition: 'TIME_AT_LEVEL' });
  });

  it('time-at-level: a custom table is checked for order', () => {
    const bad = timeAtLevelRule.schema.safeParse({ id: 'x', kind: 'time-at-level', point: 'p', levels: [{ above: 40, max: '30m' }, { above: 24, max: '1h' }] });
    expect(bad.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['levels.1.above', 'levels must be in increasing order of above'],
      ['levels.1.max', 'a higher level cannot allow more time than a lower one'],
    ]);
  });
});
