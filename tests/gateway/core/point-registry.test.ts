import { describe, expect, it } from 'vitest';
import { ReadingBus } from '../../../gateway/core/bus.js';
import { PointRegistry } from '../../../gateway/core/point-registry.js';
import type { PointDefinition } from '../../../gateway/core/point.js';

const def = (id: string, unit = ''): [string, PointDefinition] => [id, { id, name: id, unit, area: 'a', device: 'd' }];

describe('PointRegistry', () => {
  it('keeps the latest value, quality and timestamps of every point from the bus', () => {
    const bus = new ReadingBus();
    const reg = new PointRegistry([def('co')]);
    reg.attach(bus);
    expect(reg.latest('co')).toBeUndefined();
    bus.publish({ point: 'co', value: 12, quality: 'Good', ts: 1000, receivedAt: 1001 });
    bus.publish({ point: 'co', value: null, quality: 'BadTimeout', ts: 2000, receivedAt: 2001, reason: 'no reply' });
    expect(reg.latest('co')).toEqual({ value: null, quality: 'BadTimeout', ts: 2000, receivedAt: 2001, reason: 'no reply' });
    reg.detach();
    bus.publish({ point: 'co', value: 5, quality: 'Good', ts: 3000, receivedAt: 3000 });
    expect(reg.latest('co')?.value).toBeNull();
  });

  it('a unit reported by the device fills a config without one, and survives a reload', () => {
    const reg = new PointRegistry([def('temp'), def('press', 'kPa')]);
    expect(reg.report('temp', { unit: '°C' })).toBe(true);
    expect(reg.report('press', { unit: 'Pa' })).toBe(false); // the config's unit wins
    expect(reg.get('temp')?.unit).toBe('°C');
    reg.replace([def('temp'), def('press', 'kPa')]);
    expect(reg.get('temp')?.unit).toBe('°C');
    expect(reg.get('press')?.unit).toBe('kPa');
  });

  it('is a ReadonlyMap of definitions, with service points added where the config has none', () => {
    const reg = new PointRegistry([def('a')]);
    reg.addMissing([{ id: 'gateway.mqtt.connected', name: 'MQTT', unit: '', area: 'gateway', device: 'gateway' }, { id: 'a', name: 'other', unit: '', area: 'x', device: 'y' }]);
    expect([...reg.keys()]).toEqual(['a', 'gateway.mqtt.connected']);
    expect(reg.get('a')?.name).toBe('a');
    expect(new Map(reg).size).toBe(2);
  });
});
