import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../gateway/core/metrics.js';

describe('Metrics: hot-path counters and label keys', () => {
  it('a counterSeries is the series inc() adds to with the same labels, created at zero', () => {
    const m = new Metrics();
    const dropped = m.counterSeries('mqtt_readings_dropped', { reason: 'offline_queue' });
    expect(m.snapshot().counters).toEqual({ 'mqtt_readings_dropped{reason=offline_queue}': 0 });
    dropped.value += 5;
    m.inc('mqtt_readings_dropped', { reason: 'offline_queue' });
    m.inc('mqtt_readings_dropped', { reason: 'broker_slow' });
    expect(m.counter('mqtt_readings_dropped', { reason: 'offline_queue' })).toBe(6);
    expect(m.total('mqtt_readings_dropped')).toBe(7);
    const plain = m.counterSeries('mqtt_readings_published');
    m.inc('mqtt_readings_published', undefined, 2);
    plain.value++;
    expect(m.counter('mqtt_readings_published')).toBe(3);
    expect(m.snapshot().counters).toEqual({ 'mqtt_readings_dropped{reason=offline_queue}': 6, 'mqtt_readings_dropped{reason=broker_slow}': 1, mqtt_readings_published: 3 });
  });

  it('one label or several, in any order, name the same series', () => {
    const m = new Metrics();
    m.inc('x', { b: 1, a: 'z' });
    m.inc('x', { a: 'z', b: 1 });
    m.inc('y', { only: 'one' });
    expect(m.snapshot().counters).toEqual({ 'x{a=z,b=1}': 2, 'y{only=one}': 1 });
  });
});
