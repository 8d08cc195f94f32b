import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../gateway/config/load.js';
import { pointDefinitions } from '../../gateway/config/schema.js';
import { RULE_KINDS, ruleKind } from '../../rules/registry.js';

function config(rules: unknown[]) {
  return {
    gateway: { id: 'gw1', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' } },
    devices: [
      {
        id: 'bf1-plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        points: [
          { id: 'bf1.top_pressure', name: '1#高炉炉顶压力', unit: 'kPa', table: 'holding', address: 0 },
          { id: 'bf1.relief_set', name: '1#高炉放散设定值', unit: 'kPa', table: 'holding', address: 1 },
          { id: 'bf1.relief_valve_open', name: '1#高炉放散阀开到位', table: 'discrete', address: 0 },
          { id: 'bof1.water_in', name: '1#转炉氧枪冷却水进水流量', unit: 'm3/h', table: 'holding', address: 2 },
          { id: 'bof1.water_out', name: '1#转炉氧枪冷却水出水流量', unit: 'm3/h', table: 'holding', address: 3 },
        ],
      },
    ],
    rules,
  };
}

const errorsOf = (rules: unknown[]) => {
  const r = validateConfig(config(rules));
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
};

describe('rule kinds in the config file', () => {
  it('accepts every kind with a realistic rule, and their alarm ids follow the conventions', () => {
    const rules = [
      { id: 'relief', kind: 'expression', expression: 'bf1.top_pressure > bf1.relief_set and not bf1.relief_valve_open', onDelay: '3s', severity: 4 },
      { id: 'lance-diff', kind: 'deviation', point: 'bof1.water_in', reference: 'bof1.water_out', direction: 'high', limit: 8 },
      { id: 'tp-roc', kind: 'rate-of-change', point: 'bf1.top_pressure', direction: 'rising', limit: 20, per: 'min' },
      { id: 'relief-il', kind: 'interlock', demand: 'bf1.top_pressure >= bf1.relief_set', action: 'bf1.relief_valve_open', within: '3s' },
      { id: 'tp-stale', kind: 'stale', point: 'bf1.top_pressure', expectedPeriod: '1s' },
      { id: 'tp-frozen', kind: 'frozen', point: 'bf1.top_pressure', window: '10m', tolerance: 0.5 },
      { id: 'tp-fault', kind: 'sensor-fault', point: 'bf1.top_pressure', signal: 'engineering', low: -10, high: 500 },
      { id: 'flow-vote', kind: 'vote', voting: '1oo2', channels: ['bof1.water_in', 'bof1.water_out'], below: 20 },
      { id: 'tp-stel', kind: 'stel', point: 'bf1.top_pressure', limit: 26 },
      { id: 'tp-twa', kind: 'twa', point: 'bf1.top_pressure', limit: 17 },
      { id: 'tp-tal', kind: 'time-at-level', point: 'bf1.top_pressure' },
    ];
    const r = validateConfig(config(rules));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const points = pointDefinitions(r.config);
    const ids = r.config.rules.flatMap((rule) => ruleKind(rule.kind).alarms(rule, points).map((a) => a.alarmId));
    expect(ids).toEqual([
      'relief:EXPR',
      'lance-diff:DEV',
      'bf1.top_pressure:ROC_RISE',
      'relief-il:INTERLOCK',
      'bf1.top_pressure:STALE',
      'bf1.top_pressure:FROZEN',
      'bf1.top_pressure:FAULT',
      'flow-vote:VOTE',
      'bf1.top_pressure:STEL',
      'bf1.top_pressure:TWA',
      'bf1.top_pressure:TIME_AT_LEVEL',
    ]);
    expect(new Set(RULE_KINDS.map((k) => k.kind)).size).toBe(RULE_KINDS.length);
  });

  it('reports a bad expression at its path with the column', () => {
    expect(errorsOf([{ id: 'ok', kind: 'stale', point: 'bf1.top_pressure', expectedPeriod: '1s' }, { id: 'relief', kind: 'expression', expression: 'bf1.top_pressure > (bf1.relief_set))' }])).toEqual([
      'rules[1].expression: unexpected token ")" at column 36',
    ]);
    expect(errorsOf([{ id: 'il', kind: 'interlock', demand: 'bf1.top_pressure >= bf1.relief_set', action: 'bf1.relief_valve_open +', within: '3s' }])).toEqual([
      'rules[0].action: unexpected end of expression at column 24',
    ]);
  });

  it('reports a scaled sensor-fault rule on a point without range as a config error at the rule', () => {
    expect(errorsOf([{ id: 'tp-fault', kind: 'sensor-fault', point: 'bf1.top_pressure', signal: 'scaled' }])).toEqual([
      'rules[0].signal: rule tp-fault: signal: scaled needs the range of point bf1.top_pressure (range: { low, high } on the point or the rule)',
    ]);
    expect(errorsOf([{ id: 'tp-fault', kind: 'sensor-fault', point: 'bf1.top_pressure', signal: 'scaled', range: { low: 0, high: 400 } }])).toEqual([]);
  });

  it('reports unknown points at the field that names them, with a suggestion', () => {
    expect(errorsOf([{ id: 'lance-diff', kind: 'deviation', point: 'bof1.water_in', reference: 'bof1.water_ot', limit: 8 }])).toEqual([
      'rules[0].reference: unknown point "bof1.water_ot" (did you mean "bof1.water_out"?)',
    ]);
    // Points inside an expression are checked too, at the expression field.
    expect(errorsOf([{ id: 'relief', kind: 'expression', expression: 'bf1.top_presure > 10' }])).toEqual([
      'rules[0].expression: unknown point "bf1.top_presure" (did you mean "bf1.top_pressure"?)',
    ]);
  });

  it('reports wrong settings of a kind at their path', () => {
    expect(errorsOf([{ id: 'v', kind: 'vote', voting: '2oo3', channels: ['bof1.water_in', 'bof1.water_out'], above: 3 }])).toEqual(['rules[0].channels: 2oo3 needs 3 channels, got 2']);
    expect(errorsOf([{ id: 's', kind: 'stale', point: 'bf1.top_pressure', expectedPeriod: '1 sec' }])).toEqual(['rules[0].expectedPeriod: expected a duration such as 500ms, 5s, 2m, 1h']);
  });

  it('suggests the right key for a misspelt rule setting in YAML', () => {
    const yaml = [
      'gateway:',
      '  id: gw1',
      '  enterprise: { name: x, creditCode: 91350100M000100Y43 }',
      'devices:',
      '  - id: d',
      '    type: modbus-tcp',
      '    host: 127.0.0.1',
      '    points:',
      '      - { id: p, name: n, table: holding, address: 1 }',
      'rules:',
      '  - { id: s, kind: stale, point: p, expectedPeriod: 1s, facter: 3 }',
    ].join('\n');
    const r = parseConfigText(yaml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual(['11: rules[0]: unknown key "facter" (did you mean "factor"?)']);
  });
});
