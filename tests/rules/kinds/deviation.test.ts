import { TestScheduler } from 'rxjs/testing';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../gateway/core/reading.js';
import { deviationRule } from '../../../rules/kinds/deviation.js';
import { RuleBench } from '../harness.js';

const lance = { id: 'bof1-lance-diff', kind: 'deviation' as const, point: 'bof1.in', reference: 'bof1.out', direction: 'high' as const, limit: 8, deadband: 1 };

describe('deviation rule', () => {
  it('raises on oxygen-lance cooling-water inlet minus outlet flow ≥ limit after the on-delay (marbles)', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ hot, expectObservable }) => {
      const r = (point: string, value: number | null, ts: number, quality: Reading['quality'] = 'Good'): Reading => ({ point, value, quality, ts, receivedAt: ts });
      // Frames are 1 ms in run mode; the on-delay is 3 ms.
      const inlet = hot('a---b------c--', { a: r('bof1.in', 100, 0), b: r('bof1.in', 110, 4), c: r('bof1.in', 101.5, 11) });
      const outlet = hot('-a------------', { a: r('bof1.out', 100, 1) });
      const points: Record<string, Subject<Reading> | typeof inlet> = { 'bof1.in': inlet, 'bof1.out': outlet };
      const rule = deviationRule.schema.parse({ ...lance, onDelay: 3 });
      const out = deviationRule.build(rule, {
        point$: (id) => points[id]!,
        point: (id) => ({ id, name: id, unit: 'm3/h', area: 'default', device: 'd' }),
        scheduler,
      });
      // 110 − 100 = 10 ≥ 8 from frame 4, confirmed at 7; 101.5 − 100 = 1.5 < 8 − 1 clears at 11.
      // Frame 1: both known, deviation 0: reported as normal once (the restart case).
      expectObservable(out).toBe('-n-----a---b--', {
        n: { alarmId: 'bof1-lance-diff:DEV', active: false, value: 0, ts: 1, limit: 8 },
        a: { alarmId: 'bof1-lance-diff:DEV', active: true, value: 10, ts: 7, limit: 8 },
        b: { alarmId: 'bof1-lance-diff:DEV', active: false, value: 1.5, ts: 11, limit: 8 },
      });
    });
  });

  it('holds its state while either point is Bad or not yet read', () => {
    const bench = new RuleBench(deviationRule, lance)
      .at(0, 'bof1.in', 120) // outlet never read yet: unknown
      .at(1000, 'bof1.out', 100) // 20 ≥ 8: raise
      .at(2000, 'bof1.out', null, 'BadCommunicationError') // unknown: stays active
      .at(3000, 'bof1.in', 100)
      .at(4000, 'bof1.out', 100) // 0: clear
      .run();
    expect(bench.transitions).toEqual([
      [1000, true],
      [4000, false],
    ]);
  });

  it('compares redundant transmitters both ways with direction: both', () => {
    const bench = new RuleBench(deviationRule, { id: 'tx', kind: 'deviation', point: 'pt_a', reference: 'pt_b', limit: 2 })
      .at(0, 'pt_a', 10)
      .at(0, 'pt_b', 10.5)
      .at(1000, 'pt_b', 13) // |10 − 13| = 3
      .at(2000, 'pt_a', 12.5)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [1000, true],
      [2000, false],
    ]);
    expect(deviationRule.alarms(deviationRule.schema.parse({ id: 'tx', kind: 'deviation', point: 'pt_a', reference: 'pt_b', limit: 2 }), new Map())[0]).toMatchObject({
      alarmId: 'tx:DEV',
      point: 'pt_a',
      condition: 'DEV',
      label: '偏差报警',
    });
  });
});
