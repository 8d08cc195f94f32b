import { describe, expect, it } from 'vitest';
import { faultBounds, sensorFaultRule } from '../../../rules/kinds/sensor-fault.js';
import { RuleBench } from '../harness.js';

describe('sensor-fault rule', () => {
  it('flags a 4–20 mA loop at ≤ 3.6 mA (wire break) and ≥ 21 mA (short) per NAMUR NE 43', () => {
    const bench = new RuleBench(sensorFaultRule, { id: 'co101-loop', kind: 'sensor-fault', point: 'gas.co_101_ma', signal: 'mA' })
      .at(0, 'gas.co_101_ma', 4.0) // zero gas: healthy
      .at(1000, 'gas.co_101_ma', 3.8) // under-range but not failed (NE 43 3.8…4)
      .at(2000, 'gas.co_101_ma', 3.6) // failed
      .at(3000, 'gas.co_101_ma', 12)
      .at(4000, 'gas.co_101_ma', 20.5) // over-range, not failed
      .at(5000, 'gas.co_101_ma', 21)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [2000, true],
      [3000, false],
      [5000, true],
    ]);
    expect(bench.updates[1]!.detail).toBe('回路电流 ≤ 3.6 mA (NAMUR NE 43)，断线或变送器故障');
    expect(bench.updates[3]!.detail).toBe('回路电流 ≥ 21 mA (NAMUR NE 43)，短路或变送器故障');
    expect(bench.updates[1]!.alarmId).toBe('gas.co_101_ma:FAULT');
  });

  it('converts the NE 43 limits to engineering units for a scaled point', () => {
    // 0–1000 ppm over 4–20 mA: 62.5 ppm per mA; 3.6 mA → −25 ppm, 21 mA → 1062.5 ppm.
    const rule = sensorFaultRule.schema.parse({ id: 'x', kind: 'sensor-fault', point: 'co', signal: 'scaled' });
    const bounds = faultBounds(rule, { id: 'co', name: 'co', unit: 'ppm', area: 'a', device: 'd', range: { low: 0, high: 1000 } });
    expect(typeof bounds === 'object' && bounds.low).toBeCloseTo(-25, 9);
    expect(typeof bounds === 'object' && bounds.high).toBeCloseTo(1062.5, 9);
    expect(faultBounds(rule, { id: 'co', name: 'co', unit: 'ppm', area: 'a', device: 'd' })).toBe('rule x: signal: scaled needs the range of point co (range: { low, high } on the point or the rule)');
    const bench = new RuleBench(sensorFaultRule, { id: 'x', kind: 'sensor-fault', point: 'co', signal: 'scaled', onDelay: '2s' }, { co: { range: { low: 0, high: 1000 } } })
      .at(0, 'co', 10)
      .at(1000, 'co', -25)
      .at(2000, 'co', -30) // still failed at 3 s
      .at(5000, 'co', 0)
      .run();
    expect(bench.transitions).toEqual([
      [0, false],
      [3000, true],
      [5000, false],
    ]);
  });

  it('uses explicit plausibility bounds in engineering units, and holds on Bad readings', () => {
    const bench = new RuleBench(sensorFaultRule, { id: 't', kind: 'sensor-fault', point: 'dc1.hopper_temp', signal: 'engineering', low: -40, high: 400 })
      .at(0, 'dc1.hopper_temp', 500)
      .at(1000, 'dc1.hopper_temp', null, 'BadCommunicationError')
      .at(2000, 'dc1.hopper_temp', 80)
      .run();
    expect(bench.transitions).toEqual([
      [0, true],
      [2000, false],
    ]);
    expect(bench.updates[0]!.detail).toBe('测量值高于量程上限，仪表故障');
  });

  it('rejects bounds that do not fit the signal', () => {
    expect(sensorFaultRule.schema.safeParse({ id: 't', kind: 'sensor-fault', point: 'p', signal: 'engineering' }).error!.issues[0]).toMatchObject({ path: ['low'] });
    expect(sensorFaultRule.schema.safeParse({ id: 't', kind: 'sensor-fault', point: 'p', signal: 'mA', high: 30 }).error!.issues[0]).toMatchObject({ path: ['high'] });
  });
});
