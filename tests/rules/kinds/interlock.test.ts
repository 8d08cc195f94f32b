import { describe, expect, it } from 'vitest';
import { interlockRule } from '../../../rules/kinds/interlock.js';
import { RuleBench } from '../harness.js';

const demandRule = {
  id: 'bf1-top-relief',
  kind: 'interlock' as const,
  point: 'bf1.top_pressure',
  demand: 'bf1.top_pressure >= bf1.relief_set',
  action: 'bf1.relief_valve_open',
  within: '3s',
};

const armedRule = {
  id: 'bof1-lance-lift',
  kind: 'interlock' as const,
  whileRunning: { point: 'bof1.blowing', equals: true },
  armed: { point: 'bof1.lance_lift_armed' },
  armedDelay: '5s',
};

describe('interlock rule: demand must be followed by the action', () => {
  const start = (b: RuleBench<typeof interlockRule.schema>) => b.at(0, 'bf1.relief_set', 240).at(0, 'bf1.relief_valve_open', false).at(0, 'bf1.top_pressure', 200);

  it('is quiet when the relief valve opens within T', () => {
    const bench = start(new RuleBench(interlockRule, demandRule)).at(1000, 'bf1.top_pressure', 245).at(3500, 'bf1.relief_valve_open', true).run();
    expect(bench.transitions).toEqual([[0, false]]); // reported normal once inputs are known, never active
  });

  it('raises a red, latched INTERLOCK alarm when the valve has not opened after T, and clears when it opens', () => {
    const bench = start(new RuleBench(interlockRule, demandRule)).at(1000, 'bf1.top_pressure', 245).at(9000, 'bf1.relief_valve_open', true).run();
    expect(bench.transitions).toEqual([
      [0, false],
      [4000, true],
      [9000, false],
    ]);
    expect(bench.updates[1]).toMatchObject({ alarmId: 'bf1-top-relief:INTERLOCK', value: 245, detail: '联锁要求出现后 3s 内未动作' });
    const [def] = interlockRule.alarms(interlockRule.schema.parse(demandRule), new Map());
    expect(def).toMatchObject({ alarmId: 'bf1-top-relief:INTERLOCK', severity: 4, latch: true, label: '联锁报警' });
  });

  it('drops the supervision when the demand goes away by itself before T', () => {
    const bench = start(new RuleBench(interlockRule, demandRule)).at(1000, 'bf1.top_pressure', 245).at(2000, 'bf1.top_pressure', 230).run();
    expect(bench.transitions).toEqual([[0, false]]);
  });

  it('with the action Bad at T, fails as soon as the action is known to be false', () => {
    const bench = start(new RuleBench(interlockRule, demandRule))
      .at(1000, 'bf1.top_pressure', 245)
      .at(2000, 'bf1.relief_valve_open', null, 'BadCommunicationError')
      .at(6000, 'bf1.relief_valve_open', false)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [6000, true],
    ]);
  });

  it('with the action Bad at T and then true, raises nothing', () => {
    const bench = start(new RuleBench(interlockRule, demandRule))
      .at(1000, 'bf1.top_pressure', 245)
      .at(2000, 'bf1.relief_valve_open', null, 'BadCommunicationError')
      .at(6000, 'bf1.relief_valve_open', true)
      .run();
    expect(bench.transitions).toEqual([[0, false]]);
  });

  it('does not clear a failed interlock on Bad inputs', () => {
    const bench = start(new RuleBench(interlockRule, demandRule))
      .at(1000, 'bf1.top_pressure', 245)
      .at(5000, 'bf1.top_pressure', null, 'BadTimeout')
      .at(6000, 'bf1.relief_valve_open', null, 'BadTimeout')
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [4000, true],
    ]);
  });
});

describe('interlock rule: armed while the equipment runs', () => {
  it('raises BYPASS when the lance-lift interlock is not armed for 5 s during blowing, clears when armed', () => {
    const bench = new RuleBench(interlockRule, armedRule)
      .at(0, 'bof1.blowing', false)
      .at(0, 'bof1.lance_lift_armed', false) // stopped: not required
      .at(10_000, 'bof1.blowing', true)
      .at(20_000, 'bof1.lance_lift_armed', true)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [15_000, true],
      [20_000, false],
    ]);
    expect(bench.updates[1]!.alarmId).toBe('bof1-lance-lift:BYPASS');
    expect(bench.updates[1]!.detail).toBe('设备运行中联锁未投入');
    expect(bench.updates[1]!.value).toBe(false); // the armed signal as read
  });

  it('clears when the equipment stops, and holds while the armed signal is Bad', () => {
    const bench = new RuleBench(interlockRule, { ...armedRule, armedDelay: 0 })
      .at(0, 'bof1.blowing', true)
      .at(0, 'bof1.lance_lift_armed', 0) // 0/1 from a register works too
      .at(1000, 'bof1.lance_lift_armed', null, 'BadCommunicationError')
      .at(2000, 'bof1.blowing', true)
      .at(3000, 'bof1.blowing', false)
      .run();
    expect(bench.transitions).toEqual([
      [0, true],
      [3000, false],
    ]);
  });

  it('requires armed or demand, and demand needs action and within', () => {
    const missing = interlockRule.schema.safeParse({ id: 'x', kind: 'interlock' });
    expect(missing.success).toBe(false);
    const noWithin = interlockRule.schema.safeParse({ id: 'x', kind: 'interlock', demand: 'a > 1', action: 'b' });
    expect(noWithin.error!.issues).toMatchObject([{ path: ['within'], message: 'demand needs within: how long the action may take, e.g. 3s' }]);
    const badDemand = interlockRule.schema.safeParse({ id: 'x', kind: 'interlock', demand: 'a >> 1', action: 'b', within: '3s' });
    expect(badDemand.error!.issues).toMatchObject([{ path: ['demand'], message: 'unexpected token ">" at column 4' }]);
  });
});
