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

  it('keeps every kind of value exactly, a reason only while the latest reading has one, for thousands of points', () => {
    const bus = new ReadingBus();
    const reg = new PointRegistry();
    reg.attach(bus);
    // More points than the first allocation of the value arrays (1,024), through channels and without.
    for (let i = 0; i < 3000; i++) {
      const r = { point: `p${i}`, value: i % 2 ? -i / 7 : i, quality: 'Good' as const, ts: 1e12 + i, receivedAt: 1e12 + i + 0.5 };
      if (i % 3) bus.channel(r.point).publish(r);
      else bus.publish(r);
    }
    for (const i of [0, 1, 1023, 1024, 2047, 2999]) {
      expect(reg.latest(`p${i}`)).toEqual({ value: i % 2 ? -i / 7 : i, quality: 'Good', ts: 1e12 + i, receivedAt: 1e12 + i + 0.5, reason: undefined });
    }
    const ch = bus.channel('flag');
    ch.publish({ point: 'flag', value: true, quality: 'Good', ts: 1, receivedAt: 1 });
    expect(reg.latest('flag')?.value).toBe(true);
    ch.publish({ point: 'flag', value: false, quality: 'UncertainLastUsableValue', ts: 2, receivedAt: 2 });
    expect(reg.latest('flag')).toMatchObject({ value: false, quality: 'UncertainLastUsableValue' });
    ch.publish({ point: 'flag', value: null, quality: 'BadCommunicationError', ts: 3, receivedAt: 3, reason: 'link down' });
    const bad = reg.latest('flag');
    expect(bad).toMatchObject({ value: null, quality: 'BadCommunicationError', reason: 'link down' });
    ch.publish({ point: 'flag', value: -0.5, quality: 'Good', ts: 4, receivedAt: 4 });
    expect(reg.latest('flag')).toEqual({ value: -0.5, quality: 'Good', ts: 4, receivedAt: 4, reason: undefined });
    // What latest() returned is a snapshot: it does not change under the caller.
    expect(bad).toMatchObject({ value: null, reason: 'link down' });
    expect(reg.latest('never')).toBeUndefined();
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
