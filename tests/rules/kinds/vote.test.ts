import { describe, expect, it } from 'vitest';
import { vote, voteRule } from '../../../rules/kinds/vote.js';
import { RuleBench } from '../harness.js';

const twoOfThree = { id: 'gh1-co-2oo3', kind: 'vote' as const, voting: '2oo3', channels: ['co_a', 'co_b', 'co_c'], above: 160, deadband: 5 };
const all = (b: RuleBench<typeof voteRule.schema>, t: number, a: number | null, bb: number | null, c: number | null) =>
  b.at(t, 'co_a', a).at(t, 'co_b', bb).at(t, 'co_c', c);

describe('vote rule', () => {
  it('2oo3: one tripped channel does not alarm, two do; clears when fewer than two stay above limit − deadband', () => {
    const bench = new RuleBench(voteRule, twoOfThree);
    all(bench, 0, 10, 10, 10);
    all(bench, 1000, 170, 10, 10); // 1 of 3
    all(bench, 2000, 170, 165, 10); // 2 of 3: alarm
    all(bench, 3000, 158, 158, 10); // in the deadband: still tripped
    all(bench, 4000, 150, 158, 10); // 1 of 3: clear
    bench.run();
    expect(bench.transitions).toEqual([
      [0, false],
      [2000, true],
      [4000, false],
    ]);
    expect(bench.updates[1]!.alarmId).toBe('gh1-co-2oo3:VOTE');
    expect(bench.updates[1]!.value).toBe(170); // the highest healthy channel
  });

  it('2oo3 degrades to 1oo2 (safe) when a channel is Bad, and says so', () => {
    const bench = new RuleBench(voteRule, twoOfThree);
    all(bench, 0, 10, 10, 10);
    bench.at(1000, 'co_c', null, 'BadCommunicationError').at(2000, 'co_a', 170).run();
    expect(bench.transitions).toEqual([
      [0, false],
      [2000, true],
    ]);
    expect(bench.updates[1]!.detail).toBe('通道 co_c 质量坏，表决降级为 1oo2');
  });

  it('2oo3 degrades to 2oo2 with degradation: available', () => {
    const bench = new RuleBench(voteRule, { ...twoOfThree, degradation: 'available' });
    all(bench, 0, 10, 10, 10);
    bench.at(1000, 'co_c', null, 'BadCommunicationError').at(2000, 'co_a', 170).at(3000, 'co_b', 170).run();
    expect(bench.transitions).toEqual([
      [0, false],
      [3000, true],
    ]);
    expect(bench.updates[1]!.detail).toBe('通道 co_c 质量坏，表决降级为 2oo2');
  });

  it('holds the state when every channel is Bad', () => {
    const bench = new RuleBench(voteRule, twoOfThree);
    all(bench, 0, 170, 170, 170);
    bench.at(1000, 'co_a', null, 'BadTimeout').at(1000, 'co_b', null, 'BadTimeout').at(1000, 'co_c', null, 'BadTimeout').run();
    expect(bench.transitions).toEqual([[0, true]]);
  });

  it('1oo2 pressure switches: either contact trips; one Bad leaves 1oo1 on the other', () => {
    const rule = { id: 'ps', kind: 'vote' as const, voting: '1oo2', channels: ['ps_a', 'ps_b'], when: true, onDelay: '1s' };
    const bench = new RuleBench(voteRule, rule)
      .at(0, 'ps_a', false)
      .at(0, 'ps_b', false)
      .at(1000, 'ps_b', true)
      .at(3000, 'ps_b', false)
      .at(4000, 'ps_a', null, 'BadNotConnected')
      .at(5000, 'ps_b', true)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [2000, true],
      [3000, false],
      [6000, true],
    ]);
    expect(bench.updates[3]!.detail).toBe('通道 ps_a 质量坏，表决降级为 1oo1');
  });

  it('vote(): degradation table', () => {
    const ids = ['a', 'b', 'c'];
    expect(vote(2, [true, false, false], ids, 'safe').tripped).toBe(false);
    expect(vote(2, [true, false, undefined], ids, 'safe')).toEqual({ tripped: true, arrangement: '1oo2', badChannels: ['c'] });
    expect(vote(2, [true, false, undefined], ids, 'available')).toEqual({ tripped: false, arrangement: '2oo2', badChannels: ['c'] });
    expect(vote(2, [undefined, false, undefined], ids, 'available')).toEqual({ tripped: false, arrangement: '1oo1', badChannels: ['a', 'c'] });
    expect(vote(2, [undefined, undefined, undefined], ids, 'safe').tripped).toBeUndefined();
  });

  it('checks the arrangement against the channels', () => {
    expect(voteRule.schema.safeParse({ ...twoOfThree, channels: ['a', 'b'] }).error!.issues[0]).toMatchObject({ path: ['channels'], message: '2oo3 needs 3 channels, got 2' });
    expect(voteRule.schema.safeParse({ ...twoOfThree, below: 3 }).error!.issues[0]).toMatchObject({ path: ['above'] });
  });
});
