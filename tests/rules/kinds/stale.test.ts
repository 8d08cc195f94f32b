import { describe, expect, it } from 'vitest';
import { staleRule } from '../../../rules/kinds/stale.js';
import { RuleBench } from '../harness.js';

const rule = { id: 'co101-stale', kind: 'stale' as const, point: 'gas.co_101', expectedPeriod: '1s', factor: 3 };

describe('stale rule', () => {
  it('raises after N × the expected period without a reading and clears on the next reading', () => {
    const bench = new RuleBench(staleRule, rule)
      .series('gas.co_101', 0, 5000, 1000, () => 12)
      .at(12_000, 'gas.co_101', 13)
      .run();
    expect(bench.transitions).toEqual([
      [0, false], // first reading: reported fresh once (an alarm held from before a restart clears)
      [8000, true], // last reading at 5 s + 3 s
      [12_000, false],
      [15_000, true], // and stale again 3 s after that single reading
    ]);
    expect(bench.updates[1]).toMatchObject({ alarmId: 'gas.co_101:STALE', value: 12, detail: '超过 3s 未收到数据' });
  });

  it('tolerates jitter below the timeout', () => {
    const bench = new RuleBench(staleRule, rule).at(0, 'gas.co_101', 1).at(2900, 'gas.co_101', 1).at(5800, 'gas.co_101', 1).at(8700, 'gas.co_101', 1).run();
    expect(bench.transitions).toEqual([
      [0, false],
      [11_700, true], // only after the readings stop
    ]);
  });

  it('flags a point that never reports', () => {
    const bench = new RuleBench(staleRule, rule).run();
    expect(bench.transitions).toEqual([[3000, true]]);
  });

  it('counts a Bad reading as an update (the Bad-quality diagnostic covers it)', () => {
    const bench = new RuleBench(staleRule, rule).at(0, 'gas.co_101', 1).at(2000, 'gas.co_101', null, 'BadTimeout').at(4000, 'gas.co_101', null, 'BadTimeout').run();
    expect(bench.transitions).toEqual([
      [0, false],
      [7000, true],
    ]);
  });
});
