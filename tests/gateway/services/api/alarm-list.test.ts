import { describe, expect, it } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../../gateway/alarms/alarm-manager.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import type { AlarmDefinition } from '../../../../gateway/core/condition.js';
import { AlarmListResponder } from '../../../../gateway/services/api/alarm-list.js';
import { asciiJson } from '../../../../gateway/services/api/ascii-json.js';
import { alarmListQuery, alarmListResponse } from '../../../../gateway/services/api/schemas.js';

const def = (point: string, condition: string, severity: 1 | 2 | 3 | 4, limit: number): AlarmDefinition => ({ alarmId: `${point}:${condition}`, point, condition, severity, label: condition === 'HH' ? '高高报' : '高报', limit, ruleId: `${point}:limits` });

function plant() {
  const points = new PointRegistry([
    ['co', { id: 'co', name: '加压机房一氧化碳', unit: 'ppm', area: 'gas', device: 'plc' }],
    ['dust', { id: 'dust', name: '灰斗温度', unit: '℃', area: '除尘', device: 'plc' }],
  ]);
  const alarms = new AlarmManager({
    definitions: [def('co', 'H', 2, 24), def('co', 'HH', 3, 160), def('dust', 'H', 2, 80)],
    pointInfo: (id) => {
      const p = points.get(id)!;
      return { name: p.name, unit: p.unit, equipment: p.equipment, area: p.area };
    },
    journal: new MemoryJournal(),
  });
  const violations: string[] = [];
  const list = new AlarmListResponder(alarms, points, (id, problem) => violations.push(`${id}: ${problem}`));
  const get = (q: Record<string, string> = {}, lastSeq = 0) => {
    const bytes = list.body(alarmListQuery.parse(q), lastSeq);
    return { bytes, body: alarmListResponse.parse(JSON.parse(bytes.toString('utf8'))) };
  };
  return { alarms, list, get, violations };
}

describe('the alarm list responses (cached bytes, ASCII JSON, validated rows)', () => {
  it('serves the same bytes while nothing changes, and a changed alarm in its new state on the next request', () => {
    const { alarms, get, violations } = plant();
    alarms.apply({ alarmId: 'co:H', active: true, value: 30, ts: 1000 });
    alarms.apply({ alarmId: 'dust:H', active: true, value: 90, ts: 2000 });
    const first = get({}, 2);
    expect(get({}, 2).bytes).toBe(first.bytes);
    expect(first.body.alarms.map((a) => [a.alarmId, a.state])).toEqual([['dust:H', 'UNACK'], ['co:H', 'UNACK']]);

    alarms.acknowledge('co:H', '张三');
    const afterAck = get({}, 3);
    expect(afterAck.bytes).not.toBe(first.bytes);
    expect(afterAck.body.alarms.find((a) => a.alarmId === 'co:H')!.state).toBe('ACKED');
    expect(afterAck.body.counts.unacknowledged).toBe(1);

    // A new value without a transition is a change too.
    alarms.apply({ alarmId: 'dust:H', active: true, value: 95, ts: 3000 });
    const moved = get({}, 3).body.alarms.find((a) => a.alarmId === 'dust:H')!;
    expect(moved.value).toBe(95);
    expect(moved.message).toContain('95');

    // A newer journal seq alone gives a new body (lastSeq is in it).
    expect(get({}, 4).body.lastSeq).toBe(4);
    expect(violations).toEqual([]);
  });

  it('filters and pages on the cached rows, each query its own entry', () => {
    const { alarms, get } = plant();
    alarms.apply({ alarmId: 'co:H', active: true, value: 30, ts: 1000 });
    alarms.apply({ alarmId: 'co:HH', active: true, value: 200, ts: 2000 });
    alarms.apply({ alarmId: 'dust:H', active: true, value: 90, ts: 3000 });
    const ids = (q: Record<string, string>) => get(q).body.alarms.map((a) => a.alarmId);
    expect(ids({})).toEqual(['co:HH', 'dust:H', 'co:H']);
    expect(ids({ area: '除尘' })).toEqual(['dust:H']);
    expect(ids({ severity: '3' })).toEqual(['co:HH']);
    expect(ids({ text: '一氧化碳' })).toEqual(['co:HH', 'co:H']);
    expect(ids({ limit: '1', offset: '1' })).toEqual(['dust:H']);
    alarms.acknowledge('co:HH', '张三');
    expect(ids({ state: 'UNACK' })).toEqual(['dust:H', 'co:H']);
    expect(get({ state: 'UNACK' }).body.counts).toMatchObject({ total: 2, byArea: { gas: 1, 除尘: 1 } });
    // Every configured alarm, built at the call.
    alarms.apply({ alarmId: 'dust:H', active: false, value: 10, ts: 4000 });
    alarms.acknowledge('dust:H', '张三');
    expect(ids({})).toEqual(['co:HH', 'co:H']);
    expect(ids({ all: 'true' })).toHaveLength(3);
  });

  it('writes ASCII bytes that parse to the Chinese text, with only the documented fields', () => {
    const { alarms, get } = plant();
    alarms.apply({ alarmId: 'dust:H', active: true, value: 90, ts: 1000 });
    alarms.acknowledge('dust:H', '张三');
    const { bytes } = get();
    expect([...bytes].every((b) => b < 0x80)).toBe(true);
    const row = (JSON.parse(bytes.toString('utf8')) as { alarms: Record<string, unknown>[] }).alarms[0]!;
    expect(row).toMatchObject({ pointName: '灰斗温度', area: '除尘', unit: '℃', message: expect.stringContaining('【一般】') });
    // ackedAt is the manager's bookkeeping, not part of the API's alarm view.
    expect(alarms.get('dust:H').ackedAt).toBeDefined();
    expect(row).not.toHaveProperty('ackedAt');
  });

  it('asciiJson is JSON.stringify in ASCII: the same value for any text, surrogate pairs and line separators included', () => {
    for (const v of [{ a: '一氧化碳 ℃ 😀 \u2028\u2029 "q" \\ \n' }, ['é', 'ü', null, 1.5], 'plain', { nested: { 名: '值' } }]) {
      const text = asciiJson(v);
      expect([...text].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
      expect(JSON.parse(text)).toEqual(v);
    }
  });
});

describe('the alarm list cache bound', () => {
  it('keeps at most 8 responses, dropping the oldest, and still answers every query right', () => {
    const { alarms, get } = plant();
    alarms.apply({ alarmId: 'co:H', active: true, value: 30, ts: 1000 });
    alarms.apply({ alarmId: 'co:HH', active: true, value: 200, ts: 2000 });
    const first = get({ limit: '1' }).bytes;
    expect(get({ limit: '1' }).bytes).toBe(first);
    for (let i = 2; i <= 9; i++) expect(get({ limit: String(i) }).body.alarms).toHaveLength(Math.min(i, 2));
    // Eight other queries since: the first was dropped and is built again (equal, not the same bytes).
    const again = get({ limit: '1' }).bytes;
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
  });
});
