import { describe, expect, it } from 'vitest';
import { entrySequenceRule } from '../../../rules/kinds/entry-sequence.js';
import { RuleBench } from '../harness.js';

const rule = {
  id: 'cs1.entry',
  kind: 'entry-sequence' as const,
  inside: { point: 'inside' },
  ventilation: { point: 'fan' },
  test: 'o2 >= 19.5 and o2 <= 23.5 and lel < 25',
  testValidFor: '10m',
  monitor: ['o2', 'lel'],
  monitorTimeout: '1m',
};

const MIN = 60_000;

function bench() {
  return new RuleBench(entrySequenceRule, rule);
}

describe('entry-sequence (先通风、再检测、后作业)', () => {
  it('accepts ventilate → test → enter, and ends quietly', () => {
    const b = bench()
      .at(0, 'fan', true)
      .at(0, 'inside', false)
      .at(4 * MIN + 30_000, 'o2', 20.9)
      .at(4 * MIN + 30_000, 'lel', 0)
      .at(5 * MIN, 'inside', true)
      .at(5 * MIN + 30_000, 'o2', 20.8)
      .at(5 * MIN + 30_000, 'lel', 1)
      .at(6 * MIN, 'inside', false)
      .run();
    expect(b.updates.filter((u) => u.active)).toEqual([]);
  });

  it('alarms an entry whose test was made before ventilation, until the entry ends', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', false).at(MIN, 'o2', 20.9).at(MIN, 'lel', 0).at(2 * MIN, 'fan', true).at(3 * MIN, 'inside', true).at(4 * MIN, 'inside', false).run();
    const seq = b.updates.filter((u) => u.alarmId === 'cs1.entry:SEQUENCE' && u.ts > 0);
    expect(seq.map((u) => [u.ts, u.active, u.detail])).toEqual([
      [3 * MIN, true, '检测前未通风'],
      [4 * MIN, false, undefined],
    ]);
  });

  it('alarms an entry whose passing test is older than testValidFor', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(MIN, 'o2', 20.9).at(MIN, 'lel', 0).at(12 * MIN, 'inside', true).run();
    const seq = b.updates.find((u) => u.alarmId === 'cs1.entry:SEQUENCE' && u.active);
    expect(seq?.ts).toBe(12 * MIN);
    expect(seq?.detail).toContain('已超过 10m');
  });

  it('alarms an entry with no passing test (a reading out of band)', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(MIN, 'o2', 18).at(MIN, 'lel', 0).at(2 * MIN, 'inside', true).run();
    expect(b.updates.find((u) => u.alarmId === 'cs1.entry:SEQUENCE' && u.active)?.detail).toBe('进入前未检测合格');
  });

  it('a Bad reading is no passing test', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(MIN, 'o2', 20.9, 'BadSensorFailure').at(MIN, 'lel', 0).at(2 * MIN, 'inside', true).run();
    expect(b.updates.some((u) => u.alarmId === 'cs1.entry:SEQUENCE' && u.active)).toBe(true);
  });

  it('alarms monitoring that stops while people are inside, and clears when readings return', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(2 * MIN, 'o2', 20.9).at(2 * MIN, 'lel', 0).at(2 * MIN, 'inside', true);
    // o2 keeps reporting every 30 s; lel falls silent after 2 min 30 s and comes back at 5 min.
    for (let t = 2 * MIN; t <= 6 * MIN; t += 30_000) b.at(t, 'o2', 20.9);
    b.at(2 * MIN + 30_000, 'lel', 0).at(5 * MIN, 'lel', 0).at(6 * MIN, 'inside', false).run();
    const mon = b.updates.filter((u) => u.alarmId === 'cs1.entry:MONITOR' && u.ts > 0);
    expect(mon.map((u) => [u.ts, u.active])).toEqual([
      [3 * MIN + 30_000, true],
      [5 * MIN, false],
    ]);
    expect(mon[0]!.detail).toContain('lel');
  });

  it('an entry on readings already older than monitorTimeout alarms monitoring at once', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(MIN, 'o2', 20.9).at(MIN, 'lel', 0).at(3 * MIN, 'inside', true).run();
    expect(b.updates.find((u) => u.alarmId === 'cs1.entry:MONITOR' && u.active)?.ts).toBe(3 * MIN);
  });

  it('does not watch monitoring while nobody is inside', () => {
    const b = bench().at(0, 'inside', false).at(0, 'fan', true).at(MIN, 'o2', 20.9).at(MIN, 'lel', 0).at(60 * MIN, 'inside', false).run();
    expect(b.updates.filter((u) => u.active)).toEqual([]);
  });
});
