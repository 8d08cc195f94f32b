import { describe, expect, it } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../../gateway/alarms/alarm-manager.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import type { AlarmDefinition } from '../../../../gateway/core/condition.js';
import { StandingAlarmIndex } from '../../../../gateway/services/api/alarm-index.js';

const def = (point: string, condition: string, severity: 1 | 2 | 3 | 4, limit: number): AlarmDefinition => ({ alarmId: `${point}:${condition}`, point, condition, severity, label: condition === 'HH' ? '高高报' : '高报', limit, ruleId: `${point}:limits` });

function plant() {
  const points = new PointRegistry([
    ['co', { id: 'co', name: '加压机房一氧化碳', unit: 'ppm', area: 'gas', device: 'plc' }],
    ['dust', { id: 'dust', name: '灰斗温度', unit: '', area: 'dust', device: 'plc' }],
  ]);
  const defs = [def('co', 'H', 2, 24), def('co', 'HH', 3, 160), def('dust', 'H', 2, 80)];
  const alarms = new AlarmManager({
    definitions: defs,
    pointInfo: (id) => {
      const p = points.get(id)!;
      return { name: p.name, unit: p.unit, equipment: p.equipment, area: p.area };
    },
    journal: new MemoryJournal(),
  });
  return { points, alarms, defs, index: new StandingAlarmIndex(alarms, points) };
}

describe('the standing-alarm index behind the alarm list', () => {
  it('follows transitions, values that move without a transition, reloads and point renames', () => {
    const { points, alarms, defs, index } = plant();
    expect(index.sorted()).toEqual([]);
    alarms.apply({ alarmId: 'co:H', active: true, value: 30, ts: 1000 });
    alarms.apply({ alarmId: 'co:HH', active: true, value: 200, ts: 2000 });
    alarms.apply({ alarmId: 'dust:H', active: true, value: 90, ts: 3000 });
    expect(index.sorted().map((r) => r.view.alarmId)).toEqual(['co:HH', 'dust:H', 'co:H']);
    expect(index.allCounts()).toMatchObject({ total: 3, unacknowledged: 3, byArea: { gas: 2, dust: 1 } });

    // Still active, a new value: no event, but the list shows it (and its JSON says so).
    alarms.apply({ alarmId: 'co:HH', active: true, value: 250, ts: 4000 });
    const hh = index.sorted().find((r) => r.view.alarmId === 'co:HH')!;
    expect(hh.view.value).toBe(250);
    expect(JSON.parse(hh.json)).toMatchObject({ value: 250, message: expect.stringContaining('250') });

    // Acknowledged and cleared: off the list.
    alarms.acknowledge('dust:H', '张三');
    alarms.apply({ alarmId: 'dust:H', active: false, value: 20, ts: 5000 });
    expect(index.sorted().map((r) => r.view.alarmId)).toEqual(['co:HH', 'co:H']);

    // A unit reported by the device appears in the rows at once.
    points.report('co', { unit: 'mg/m3' });
    points.replace([['co', { id: 'co', name: '煤气加压机房CO', unit: 'ppm', area: 'gas', device: 'plc' }], ['dust', points.get('dust')!]]);
    expect(index.sorted().map((r) => r.view.pointName)).toEqual(['煤气加压机房CO', '煤气加压机房CO']);
    expect(index.sorted()[0]!.haystack).toContain('煤气加压机房co');

    // A reload that removes an alarm takes it off the list.
    alarms.redefine(defs.filter((d) => d.alarmId !== 'co:H'));
    expect(index.sorted().map((r) => r.view.alarmId)).toEqual(['co:HH']);
    expect(index.allCounts().total).toBe(1);
  });

  it('hands out the same rows while nothing changes (no rebuild per request)', () => {
    const { alarms, index } = plant();
    alarms.apply({ alarmId: 'co:H', active: true, value: 30, ts: 1000 });
    const first = index.sorted();
    expect(index.sorted()).toBe(first);
    alarms.comment('co:H', '李四', '已通知');
    expect(index.sorted()).not.toBe(first);
  });
});
