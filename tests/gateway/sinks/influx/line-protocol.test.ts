import { describe, expect, it } from 'vitest';
import { alarmLine, qualityLevel, readingLine } from '../../../../gateway/sinks/influx/line-protocol.js';
import { influxSectionSchema } from '../../../../gateway/sinks/influx/config.js';

describe('InfluxDB schema (line protocol)', () => {
  it('writes a reading with site / equipment / point tags, value and quality fields, ns time', () => {
    const line = readingLine('reading', { point: 'bf1.top_pressure', value: 231.5, quality: 'Good', ts: 1_700_000_000_123, receivedAt: 0 }, { site: 'plant a', equipment: '1#高炉, 炉顶' });
    expect(line).toBe('reading,equipment=1#高炉\\,\\ 炉顶,point=bf1.top_pressure,site=plant\\ a quality="Good",quality_level=0i,value=231.5 1700000000123000000');
  });

  it('writes booleans as 1/0, and no value field for a bad reading without a value', () => {
    expect(readingLine('reading', { point: 'v1.open', value: true, quality: 'Good', ts: 1, receivedAt: 0 }, { site: 's' })).toContain('value=1 ');
    const bad = readingLine('reading', { point: 'gh1.co', value: null, quality: 'BadCommunicationError', ts: 2, receivedAt: 0 }, { site: 's' })!;
    expect(bad).not.toContain('value=');
    expect(bad).toContain('quality="BadCommunicationError",quality_level=2i');
    expect(qualityLevel('UncertainSensorCal')).toBe(1);
  });

  it('gives two events of one alarm in the same millisecond different times (seq in the ns digits)', () => {
    const e = { alarmId: 'gh1.co:HH', point: 'gh1.co', condition: 'HH', severity: 4 as const, active: true, value: 180, limit: 160, message: '一氧化碳高高报', ts: 1_700_000_000_000 };
    const a = alarmLine('alarm_event', { ...e, seq: 41, state: 'UNACK' }, 's')!;
    const b = alarmLine('alarm_event', { ...e, seq: 42, state: 'ACKED', user: '张工' }, 's')!;
    expect(a.split(' ').at(-1)).toBe('1700000000000000041');
    expect(b.split(' ').at(-1)).toBe('1700000000000000042');
    expect(a).toContain('alarm_id=gh1.co:HH');
    expect(a).toContain('severity=4');
    expect(b).toContain('user="张工"');
  });

  it('config: v1 needs a database, v2 a bucket; the bad field is named', () => {
    const r = influxSectionSchema.safeParse({ api: 'v1', url: 'http://127.0.0.1:8086', bucket: 'x' });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('database');
    const ok = influxSectionSchema.parse({ api: 'v2', url: 'http://127.0.0.1:8428', bucket: 'plant', flushInterval: '500ms' });
    expect(ok.flushInterval).toBe(500);
    expect(ok.measurement).toBe('reading');
  });
});
