import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../gateway/config/load.js';
import { pointDefinitions } from '../../gateway/config/schema.js';
import { ReadingBus } from '../../gateway/core/bus.js';
import type { ConditionUpdate } from '../../rules/condition.js';
import { buildRuleSet } from '../../rules/engine.js';

// The rule kinds wired through the engine and the reading bus, as the runtime does it.
describe('rule kinds in the engine', () => {
  it('evaluates an expression, an interlock and a deviation from one config over the bus', () => {
    const r = validateConfig({
      gateway: { id: 'gw1', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' } },
      alarms: { badQuality: { enabled: false } },
      devices: [
        {
          id: 'bf1-plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          points: [
            { id: 'bf1.top_pressure', name: '1#高炉炉顶压力', unit: 'kPa', table: 'holding', address: 0 },
            { id: 'bf1.relief_set', name: '1#高炉放散设定值', unit: 'kPa', table: 'holding', address: 1 },
            { id: 'bf1.relief_valve_open', name: '1#高炉放散阀开到位', table: 'discrete', address: 0 },
          ],
        },
      ],
      rules: [
        { id: 'relief-expr', kind: 'expression', expression: 'bf1.top_pressure > bf1.relief_set and not bf1.relief_valve_open', onDelay: '3s', severity: 4 },
        { id: 'relief-il', kind: 'interlock', demand: 'bf1.top_pressure >= bf1.relief_set', action: 'bf1.relief_valve_open', within: '5s' },
        { id: 'tp-stale', kind: 'stale', point: 'bf1.top_pressure', expectedPeriod: '1s', factor: 5 },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const bus = new ReadingBus();
    const set = buildRuleSet({ config: r.config, points: pointDefinitions(r.config), point$: (id) => bus.point$(id), scheduler });
    expect(set.definitions.map((d) => `${d.alarmId} ${d.severity} ${d.label}`)).toEqual(['relief-expr:EXPR 4 组合条件报警', 'relief-il:INTERLOCK 4 联锁报警', 'bf1.top_pressure:STALE 2 数据停滞']);
    const seen: ConditionUpdate[] = [];
    set.conditions$.subscribe((u) => seen.push(u));
    const pub = (t: number, point: string, value: number | boolean) =>
      scheduler.schedule(() => bus.publish({ point, value, quality: 'Good', ts: scheduler.now(), receivedAt: scheduler.now() }), t);
    pub(0, 'bf1.relief_set', 240);
    pub(0, 'bf1.relief_valve_open', false);
    for (let t = 0; t <= 10_000; t += 1000) pub(t, 'bf1.top_pressure', t < 2000 ? 200 : 250);
    pub(9000, 'bf1.relief_valve_open', true);
    scheduler.flush();
    expect(seen.filter((u) => u.active || u.ts > 0).map((u) => `${u.ts} ${u.alarmId} ${u.active}`)).toEqual([
      '5000 relief-expr:EXPR true', // above the set value from 2 s, valve shut: 3 s on-delay
      '7000 relief-il:INTERLOCK true', // demand from 2 s, no action within 5 s
      '9000 relief-expr:EXPR false',
      '9000 relief-il:INTERLOCK false',
      '15000 bf1.top_pressure:STALE true', // last reading at 10 s, 5 × 1 s
    ]);
  });
});
