import { describe, expect, it } from 'vitest';
import { rateOfChangeRule } from '../../../rules/kinds/rate-of-change.js';
import { RuleBench } from '../harness.js';

const base = { id: 'gh1-level-fall', kind: 'rate-of-change' as const, point: 'gh1.level', direction: 'falling' as const, limit: 0.5, per: 'min' as const, window: '10s' };

describe('rate-of-change rule', () => {
  it('raises when the holder level falls faster than the limit for the on-delay, and clears below limit − deadband', () => {
    // Level 50 m, steady until 30 s, then falling 1.2 m/min (0.02 m/s) until 90 s, then steady.
    const level = (t: number) => (t <= 30_000 ? 50 : t <= 90_000 ? 50 - (t - 30_000) * 0.00002 : 50 - 60_000 * 0.00002);
    const bench = new RuleBench(rateOfChangeRule, { ...base, onDelay: '5s', deadband: 0.1 }).series('gh1.level', 0, 150_000, 1000, level).run();
    // Rate over a 10 s window reaches 0.5 m/min 5 s after the fall starts (35 s) → on-delay 5 s → 40 s.
    expect(bench.transitions).toEqual([
      [10_000, false], // first full window: the steady level is reported as normal (restart case)
      [40_000, true],
      [97_000, false], // at 97 s the 10 s window holds 3 s of fall: 0.36 m/min < 0.4
    ]);
    expect(bench.updates[1]!.alarmId).toBe('gh1.level:ROC_FALL');
    expect(bench.updates[1]!.limit).toBe(0.5);
    expect(bench.updates[1]!.value).toBeCloseTo(-1.2, 5); // the signed rate when confirmed, m/min
  });

  it('does not report a falling rule on a rise, and reports a rising rule per second', () => {
    const rise = (t: number) => t / 1000; // 1 unit/s
    const falling = new RuleBench(rateOfChangeRule, base).series('gh1.level', 0, 30_000, 1000, rise).run();
    expect(falling.transitions).toEqual([[10_000, false]]); // known normal, never active
    const rising = new RuleBench(rateOfChangeRule, { ...base, direction: 'rising', per: 's', limit: 0.8 }).series('gh1.level', 0, 30_000, 1000, rise).run();
    expect(rising.transitions).toEqual([[10_000, true]]);
    expect(rising.updates[0]!.alarmId).toBe('gh1.level:ROC_RISE');
  });

  it('says nothing until a full window of history exists', () => {
    const bench = new RuleBench(rateOfChangeRule, { ...base, direction: 'rising', per: 's', limit: 0.1 }).at(0, 'gh1.level', 0).at(5000, 'gh1.level', 100).run();
    expect(bench.updates).toEqual([]);
  });

  it('neither raises nor clears on Bad readings, and Bad cancels a pending on-delay', () => {
    const fall = (t: number) => 100 - t / 1000; // 60 units/min
    const bench = new RuleBench(rateOfChangeRule, { ...base, limit: 30, onDelay: '5s' })
      .series('gh1.level', 0, 12_000, 1000, fall)
      .at(13_000, 'gh1.level', null, 'BadCommunicationError') // cancels the on-delay started at 10 s (due at 15 s)
      .series('gh1.level', 14_000, 17_000, 1000, fall)
      .run();
    expect(bench.transitions).toEqual([[19_000, true]]); // a fresh on-delay from the next Good reading
    const held = new RuleBench(rateOfChangeRule, { ...base, limit: 30 })
      .series('gh1.level', 0, 12_000, 1000, fall)
      .series('gh1.level', 13_000, 40_000, 1000, () => null, 'BadTimeout')
      .run();
    expect(held.transitions).toEqual([[10_000, true]]); // stays active through the Bad period
  });
});
