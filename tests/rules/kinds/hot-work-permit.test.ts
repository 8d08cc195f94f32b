import { describe, expect, it } from 'vitest';
import { hotWorkPermitRule } from '../../../rules/kinds/hot-work-permit.js';
import { RuleBench } from '../harness.js';

const rule = { id: 'w1', kind: 'hot-work-permit' as const, running: 'w1.running', permitFrom: 'w1.permit_from', permitTo: 'w1.permit_to', grace: 1000 };
const MIN = 60_000;

function run(bench: RuleBench<typeof hotWorkPermitRule.schema>, until: number) {
  bench.scheduler.schedule(() => undefined, until);
  bench.scheduler.flush();
  return bench.updates.map((u) => [u.ts, u.active, u.detail ?? '']);
}

describe('hot-work-permit rule (焊机无票动火)', () => {
  it('alarms when a welder runs with no permit known, after the grace, and clears when it stops', () => {
    const bench = new RuleBench(hotWorkPermitRule, rule).at(0, 'w1.running', true).at(10 * MIN, 'w1.running', false);
    expect(run(bench, 20 * MIN)).toEqual([
      [1000, true, '无有效动火作业票 (no permit window known)'],
      [10 * MIN, false, ''],
    ]);
  });

  it('stays quiet inside the permit window and alarms at the moment the permit ends while still welding', () => {
    const bench = new RuleBench(hotWorkPermitRule, rule)
      .at(0, 'w1.permit_from', 5 * MIN)
      .at(0, 'w1.permit_to', 30 * MIN)
      .at(5 * MIN, 'w1.running', true) // inside the window
      .at(40 * MIN, 'w1.running', false);
    expect(run(bench, 60 * MIN)).toEqual([
      [30 * MIN + 1000, true, '动火作业票已过期 (after the permit window)'],
      [40 * MIN, false, ''],
    ]);
  });

  it('alarms a start before the permit opens and clears when the window opens, not within the grace', () => {
    const bench = new RuleBench(hotWorkPermitRule, rule)
      .at(0, 'w1.permit_from', 10 * MIN)
      .at(0, 'w1.permit_to', 30 * MIN)
      .at(9 * MIN + 59_500, 'w1.running', true) // 0.5 s early: within the grace, no alarm
      .at(11 * MIN, 'w1.running', false)
      .at(12 * MIN, 'w1.permit_from', 20 * MIN) // the permit is moved later
      .at(13 * MIN, 'w1.running', true);
    expect(run(bench, 60 * MIN)).toEqual([
      [13 * MIN + 1000, true, '动火作业票尚未生效 (before the permit window)'],
      [20 * MIN, false, ''],
      [30 * MIN + 1000, true, '动火作业票已过期 (after the permit window)'],
    ]);
  });

  it('holds its state while the welder state is Bad', () => {
    const bench = new RuleBench(hotWorkPermitRule, rule).at(0, 'w1.running', true).at(5000, 'w1.running', null, 'BadNotConnected');
    expect(run(bench, 10_000)).toEqual([[1000, true, '无有效动火作业票 (no permit window known)']]);
  });
});
