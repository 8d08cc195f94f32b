import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VictoriaMetricsServer } from '../../../helpers/victoria-metrics.js';
import { alarmAt, feed, makeInfluxSink, until } from './fixtures.js';

let vm: VictoriaMetricsServer;
beforeAll(async () => {
  vm = await VictoriaMetricsServer.start();
});
afterAll(async () => {
  await vm?.dispose();
});

describe('InfluxDB sink, v2 write API, against a real VictoriaMetrics', () => {
  it('server stopped mid-stream and restarted: every point and alarm event arrives, none twice', async () => {
    const h = makeInfluxSink({ api: 'v2', url: vm.url, bucket: 'plant', flushInterval: '50ms', batchSize: 100, retry: { initialDelay: '50ms', maxDelay: '200ms' }, writeFailingAlarmAfter: '200ms', timeout: '2s' });
    const base = Date.now() - 3_600_000;
    try {
      await feed(h, 0, 600, base, 300);
      h.alarms.next(alarmAt(1, base + 1000));
      await until(() => h.metrics.total('influx_lines_written_total') >= 601, 10_000, 'first part written');

      await vm.stop();
      await feed(h, 600, 1200, base, 300);
      h.alarms.next(alarmAt(2, base + 7000));
      h.alarms.next(alarmAt(3, base + 7000)); // same millisecond: still two rows
      await until(() => h.diagnostics.some((d) => d.alarmId === 'influx:WRITE_FAILING' && d.active), 10_000, 'WRITE_FAILING');
      expect(h.sink.queue.lines).toBeGreaterThan(0);

      await vm.start();
      await feed(h, 1200, 1500, base, 200);
      await until(() => h.sink.queue.lines === 0 && h.metrics.total('influx_lines_written_total') >= 1503, 15_000, 'backlog replayed');
      expect(h.diagnostics.filter((d) => d.alarmId === 'influx:WRITE_FAILING').map((d) => d.active)).toEqual([true, false]);

      const series = await vm.export('{__name__="reading_value"}');
      const byPoint = new Map(series.map((s) => [s.metric.point!, s]));
      expect([...byPoint.keys()].sort()).toEqual(['bf1.top_pressure', 'dc1.hopper_temp', 'gh1.co']);
      expect(byPoint.get('bf1.top_pressure')!.metric).toMatchObject({ site: 'plant-a', equipment: '1#高炉' });
      // 1500 readings, of which every 17th has no value (bad quality): value samples = 1500 - 89.
      const total = series.reduce((n, s) => n + s.timestamps.length, 0);
      expect(total).toBe(1500 - Math.ceil(1500 / 17));
      for (const s of series) expect(new Set(s.timestamps).size, `duplicates in ${s.metric.point}`).toBe(s.timestamps.length);
      const quality = await vm.export('{__name__="reading_quality_level"}');
      expect(quality.reduce((n, s) => n + s.timestamps.length, 0)).toBe(1500);

      const alarms = await vm.export('{__name__="alarm_event_seq"}');
      expect(alarms.flatMap((s) => s.values).sort()).toEqual([1, 2, 3]);
      expect(alarms.find((s) => s.values.includes(1))!.metric).toMatchObject({ alarm_id: 'gh1.co:HH', severity: '4', state: 'UNACK', point: 'gh1.co' });
    } finally {
      await h.close();
    }
  });
});
