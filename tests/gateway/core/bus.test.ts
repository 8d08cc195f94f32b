import { describe, expect, it } from 'vitest';
import { ReadingBus } from '../../../gateway/core/bus.js';
import { PointRegistry } from '../../../gateway/core/point-registry.js';
import type { Reading } from '../../../gateway/core/reading.js';

const reading = (point: string, value: number): Reading => ({ point, value, quality: 'Good', ts: 1, receivedAt: 1 });

describe('ReadingBus.publishOn (a point\'s channel kept by the adapter)', () => {
  it('reaches the point\'s subscribers, the latest value, the taps and the all-readings stream exactly as publish() does', () => {
    const bus = new ReadingBus();
    const registry = new PointRegistry();
    registry.attach(bus);
    const seen = { a: [] as number[], b: [] as number[], taps: [] as string[], all: [] as string[] };
    bus.point$('a').subscribe((r) => seen.a.push(r.value as number));
    bus.point$('b').subscribe((r) => seen.b.push(r.value as number));
    bus.tap((r, ch) => seen.taps.push(`${r.point}#${ch.index}`));
    bus.readings$.subscribe((r) => seen.all.push(r.point));

    const chA = bus.channel('a');
    bus.publishOn(chA, reading('a', 1));
    bus.publish(reading('a', 2));
    bus.publishOn(bus.channel('b'), reading('b', 3));

    expect(seen.a).toEqual([1, 2]);
    expect(seen.b).toEqual([3]);
    expect(seen.taps).toEqual([`a#${chA.index}`, `a#${chA.index}`, `b#${bus.channel('b').index}`]);
    expect(seen.all).toEqual(['a', 'a', 'b']);
    expect(registry.latest('a')?.value).toBe(2);
    expect(registry.latest('b')?.value).toBe(3);
    expect(bus.published).toBe(3);
    expect(bus.delivered).toBe(3);
  });

  it('delivers to one, several and again one subscriber of a point as they come and go, and to none after they leave', () => {
    const bus = new ReadingBus();
    const ch = bus.channel('p');
    const got = { x: [] as number[], y: [] as number[], z: [] as number[] };
    const x = bus.point$('p').subscribe((r) => got.x.push(r.value as number));
    ch.publish(reading('p', 1));
    const y = bus.point$('p').subscribe((r) => got.y.push(r.value as number));
    const z = bus.point$('p').subscribe((r) => got.z.push(r.value as number));
    ch.publish(reading('p', 2));
    x.unsubscribe();
    y.unsubscribe();
    ch.publish(reading('p', 3));
    z.unsubscribe();
    ch.publish(reading('p', 4));
    expect(got).toEqual({ x: [1, 2], y: [2], z: [2, 3] });
    expect(bus.delivered).toBe(5);
    expect(bus.published).toBe(4);
  });
});
