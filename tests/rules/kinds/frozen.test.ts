import { describe, expect, it } from 'vitest';
import { frozenRule } from '../../../rules/kinds/frozen.js';
import { RuleBench } from '../harness.js';

const rule = {
  id: 'bf1-tp-frozen',
  kind: 'frozen' as const,
  point: 'bf1.top_pressure',
  window: '60s',
  tolerance: 0.5,
  whileRunning: { point: 'bf1.running', equals: true },
};

describe('frozen rule', () => {
  it('raises when the value moves less than the tolerance over the window while running, clears when it moves', () => {
    const bench = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', true)
      .series('bf1.top_pressure', 0, 100_000, 5000, (t) => 200 + ((t / 5000) % 2) * 0.3) // jitters 0.3 < 0.5
      .at(105_000, 'bf1.top_pressure', 201) // moved 1.0
      .run();
    expect(bench.transitions).toEqual([
      [60_000, true],
      [105_000, false],
    ]);
    expect(bench.updates[0]).toMatchObject({ alarmId: 'bf1.top_pressure:FROZEN', limit: 0.5 });
  });

  it('does not raise on a live signal', () => {
    const bench = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', true)
      .series('bf1.top_pressure', 0, 300_000, 5000, (t) => 200 + 2 * Math.sin(t / 20_000))
      .run();
    expect(bench.transitions).toEqual([[10_000, false]]); // moved: reported normal, never frozen
  });

  it('does not raise while the equipment is stopped, and clears when it stops', () => {
    const stopped = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', false)
      .series('bf1.top_pressure', 0, 300_000, 5000, () => 0)
      .run();
    expect(stopped.transitions).toEqual([[0, false]]); // known normal: stopped
    const stops = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', true)
      .series('bf1.top_pressure', 0, 90_000, 5000, () => 200)
      .at(90_000, 'bf1.running', false)
      .run();
    expect(stops.transitions).toEqual([
      [60_000, true],
      [90_000, false],
    ]);
  });

  it('starts the window when the equipment starts', () => {
    const bench = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', false)
      .series('bf1.top_pressure', 0, 200_000, 5000, () => 200)
      .at(100_000, 'bf1.running', true)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [160_000, true],
    ]);
  });

  it('holds an active alarm through Bad readings and restarts the window after them', () => {
    const bench = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', true)
      .series('bf1.top_pressure', 0, 60_000, 5000, () => 200)
      .at(65_000, 'bf1.top_pressure', null, 'BadSensorFailure')
      .at(70_000, 'bf1.running', null, 'BadCommunicationError')
      .run();
    expect(bench.transitions).toEqual([[60_000, true]]);
    const restarted = new RuleBench(frozenRule, rule)
      .at(0, 'bf1.running', true)
      .series('bf1.top_pressure', 0, 40_000, 5000, () => 200)
      .at(45_000, 'bf1.top_pressure', null, 'BadSensorFailure') // no raise at 60 s
      .series('bf1.top_pressure', 50_000, 120_000, 5000, () => 200)
      .run();
    expect(restarted.transitions).toEqual([[110_000, true]]);
  });
});
