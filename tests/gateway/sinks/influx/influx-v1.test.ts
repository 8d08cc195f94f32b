import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDb1Server } from '../../../helpers/influxdb1.js';
import { alarmAt, feed, makeInfluxSink, until } from './fixtures.js';

let influx: InfluxDb1Server;
beforeAll(async () => {
  influx = await InfluxDb1Server.start();
  await influx.query('CREATE DATABASE plant');
  await influx.query('CREATE RETENTION POLICY "one_month" ON "plant" DURATION 30d REPLICATION 1');
});
afterAll(async () => {
  await influx?.dispose();
});

describe('InfluxDB sink, 1.x /write API (database + retention policy), against a real InfluxDB 1.6', () => {
  it('server stopped mid-stream and restarted: every point and alarm event arrives, none twice', async () => {
    const h = makeInfluxSink({ api: 'v1', url: influx.url, database: 'plant', retentionPolicy: 'one_month', flushInterval: '50ms', batchSize: 100, retry: { initialDelay: '50ms', maxDelay: '200ms' }, writeFailingAlarmAfter: '200ms', timeout: '2s' });
    const base = Date.now() - 3_600_000;
    try {
      await feed(h, 0, 400, base, 200);
      h.alarms.next(alarmAt(1, base + 500));
      await until(() => h.metrics.total('influx_lines_written_total') >= 401, 10_000, 'first part written');

      await influx.stop();
      await feed(h, 400, 800, base, 200);
      h.alarms.next(alarmAt(2, base + 5000));
      h.alarms.next(alarmAt(3, base + 5000));
      await until(() => h.diagnostics.some((d) => d.alarmId === 'influx:WRITE_FAILING' && d.active), 10_000, 'WRITE_FAILING');

      await influx.start();
      await feed(h, 800, 1000, base, 100);
      await until(() => h.sink.queue.lines === 0 && h.metrics.total('influx_lines_written_total') >= 1003, 15_000, 'backlog replayed');

      const rows = await influx.rows('SELECT * FROM "one_month"."reading"', 'plant');
      expect(rows).toHaveLength(1000);
      const times = rows.map((r) => `${String(r.point)}@${String(r.time)}`);
      expect(new Set(times).size).toBe(1000);
      expect(rows.filter((r) => r.quality === 'BadCommunicationError' && r.value === null)).toHaveLength(Math.ceil(1000 / 17));
      expect(rows.find((r) => r.point === 'gh1.co' && r.value !== null)).toMatchObject({ site: 'plant-a', equipment: '煤气柜 活塞上部', quality: 'Good', quality_level: 0 });

      const alarms = await influx.rows('SELECT * FROM "one_month"."alarm_event"', 'plant');
      expect(alarms.map((a) => a.seq)).toEqual([1, 2, 3]);
      expect(alarms[0]).toMatchObject({ alarm_id: 'gh1.co:HH', active: true, message: '煤气柜活塞上部一氧化碳高高报', severity: '4', state: 'UNACK', limit: 160 });
      // Nothing landed in the default retention policy.
      expect(await influx.rows('SELECT count(*) FROM "autogen"."reading"', 'plant')).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
