import { describe, expect, it } from 'vitest';
import { expressionRule } from '../../../rules/kinds/expression.js';
import { RuleBench } from '../harness.js';

const relief = {
  id: 'bf1-relief-not-open',
  kind: 'expression' as const,
  expression: 'bf1.top_pressure > bf1.relief_set and not bf1.relief_valve_open',
  onDelay: '3s',
  severity: 4 as const,
  message: '1#高炉炉顶压力超放散设定值且放散阀未打开',
};

describe('expression rule', () => {
  it('raises when top pressure is above the relief set value and the valve stays shut for 3 s', () => {
    const bench = new RuleBench(expressionRule, relief)
      .at(0, 'bf1.relief_set', 240)
      .at(0, 'bf1.relief_valve_open', false)
      .at(0, 'bf1.top_pressure', 230)
      .at(1000, 'bf1.top_pressure', 245) // condition true from 1 s
      .at(2000, 'bf1.top_pressure', 248)
      .at(6000, 'bf1.relief_valve_open', true) // valve opens: clear
      .run();
    expect(bench.transitions).toEqual([
      [0, false], // all inputs known and the condition false: reported once as normal
      [4000, true],
      [6000, false],
    ]);
    expect(bench.updates[1]).toMatchObject({ alarmId: 'bf1-relief-not-open:EXPR', value: 248 }); // value of the alarm's point
  });

  it('does not raise when the condition lasts less than the duration', () => {
    const bench = new RuleBench(expressionRule, relief)
      .at(0, 'bf1.relief_set', 240)
      .at(0, 'bf1.relief_valve_open', false)
      .at(1000, 'bf1.top_pressure', 245)
      .at(3500, 'bf1.relief_valve_open', true) // opened after 2.5 s
      .run();
    expect(bench.transitions).toEqual([[3500, false]]); // never active
  });

  it('neither raises nor clears while an input is Bad', () => {
    const bench = new RuleBench(expressionRule, relief)
      .at(0, 'bf1.relief_set', 240)
      .at(0, 'bf1.relief_valve_open', false)
      .at(1000, 'bf1.top_pressure', 245)
      .at(2000, 'bf1.relief_valve_open', null, 'BadCommunicationError') // pending 3 s cancelled
      .at(10_000, 'bf1.relief_valve_open', false) // known again: a new 3 s starts
      .at(20_000, 'bf1.top_pressure', null, 'BadSensorFailure') // unknown: stays active
      .at(30_000, 'bf1.top_pressure', 200) // known and false: clear
      .run();
    expect(bench.transitions).toEqual([
      [13_000, true],
      [30_000, false],
    ]);
  });

  it('lists the points it reads and names the alarm after the rule', () => {
    const rule = expressionRule.schema.parse({ ...relief, point: 'bf1.top_pressure' });
    expect(expressionRule.inputs(rule)).toEqual(['bf1.top_pressure', 'bf1.relief_set', 'bf1.relief_valve_open']);
    expect(expressionRule.alarms(rule, new Map())).toEqual([
      {
        alarmId: 'bf1-relief-not-open:EXPR',
        point: 'bf1.top_pressure',
        condition: 'EXPR',
        severity: 4,
        label: '组合条件报警',
        message: '1#高炉炉顶压力超放散设定值且放散阀未打开',
        limit: undefined,
        latch: false,
        reAlarmMs: undefined,
        ruleId: 'bf1-relief-not-open',
      },
    ]);
  });

  it('rejects a bad expression in its schema with the column', () => {
    const r = expressionRule.schema.safeParse({ ...relief, expression: 'bf1.top_pressure > (bf1.relief_set))' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['expression'], message: 'unexpected token ")" at column 36' });
  });
});
