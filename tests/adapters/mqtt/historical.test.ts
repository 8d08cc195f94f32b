import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { validateConfig } from '../../../gateway/config/load.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import type { HistoryService } from '../../../gateway/services/history/service.js';
import { encodeSparkplug, type SparkplugMetric } from '../../../adapters/mqtt/sparkplug-codec.js';
import { tempDir, waitFor } from '../../helpers/server-process.js';
import { InfluxDb1Server } from '../../helpers/influxdb1.js';
import { connect } from '../../gateway/mqtt/broker-harness.js';

/**
 * Sparkplug B `is_historical` metrics, end to end: a real MQTT client publishes a node's backlog to
 * the embedded broker; the readings land in the local history and in a real InfluxDB at their own
 * timestamps, while the point's live value, its rules and its alarms see only live metrics.
 */
const PW = 'edge password 123';
const POINT = 'bf1.water_temp';
let gateway: Gateway;
let influx: InfluxDb1Server;
let edge: MqttClient;
let watcher: MqttClient;
const events: AlarmEvent[] = [];
let seq = 0;

const publish = (type: 'NBIRTH' | 'NDATA', metrics: SparkplugMetric[], timestamp = Date.now()) =>
  edge.publishAsync(`spBv1.0/plant1/${type}/edge1`, Buffer.from(encodeSparkplug({ seq: seq++ % 256, timestamp, metrics })), { qos: 1 });

beforeAll(async () => {
  influx = await InfluxDb1Server.start();
  await influx.query('CREATE DATABASE safety');
  const dir = tempDir('mqtt-historical-');
  const store = new UserStore(openDatabase(join(dir, 'gateway.db')));
  await store.add({ name: 'edge1', password: PW, role: 'device' });
  await store.add({ name: 'hmi', password: PW, role: 'viewer' });
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, 'user edge1\ntopic readwrite spBv1.0/#\n');
  const result = validateConfig({
    gateway: { id: 'hist', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
    mqtt: { broker: 'embedded', aclFile },
    devices: [{ id: 'sp', type: 'mqtt', subscriptions: [{ topic: 'spBv1.0/plant1/+/edge1/#', format: 'sparkplug' }], points: [{ id: POINT, name: '1#高炉冷却水温度', area: 'bf1', field: 'Temp', limits: { HH: 60 } }] }],
    influx: { api: 'v1', url: influx.url, database: 'safety', flushInterval: '100ms', retry: { initialDelay: '100ms', maxDelay: '500ms' } },
    history: { flushInterval: '100ms' },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  gateway = new Gateway({ config: result.config, log: silentLogger, mqttPort: 0, dataDir: dir, write: () => undefined });
  await gateway.start();
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  watcher = await connect(url, { username: 'hmi', password: PW, clientId: 'hmi' });
  watcher.on('message', (_t, p) => events.push(JSON.parse(p.toString()) as AlarmEvent));
  await watcher.subscribeAsync('gw/hist/events', { qos: 1 });
  edge = await connect(url, { username: 'edge1', password: PW, clientId: 'edge1' });
}, 90_000);

afterAll(async () => {
  for (const c of [edge, watcher]) await c?.endAsync();
  await gateway?.stop();
  await influx?.dispose();
});

describe('Sparkplug is_historical metrics', () => {
  it('go to the local history and InfluxDB at their own time, and never drive the live value or alarms', async () => {
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    await publish('NBIRTH', [{ name: 'bdSeq', type: 'UInt64', value: 0n }, { name: 'Temp', alias: 1, type: 'Double', value: 40 }], now);
    // The node's store-and-forward backlog: an hour ago the water was hot (above HH 60), then cooled.
    await publish(
      'NDATA',
      [
        { alias: 1, type: 'Double', value: 95, isHistorical: true, timestamp: hourAgo },
        { alias: 1, type: 'Double', value: 30, isHistorical: true, timestamp: hourAgo + 60_000 },
        { alias: 1, type: 'Double', value: 41, timestamp: now + 1 },
      ],
      now + 1,
    );
    await waitFor(() => gateway.points.latest(POINT)?.value === 41, 10_000, 'the live value 41');

    const history = gateway.service<HistoryService>('history')!;
    await waitFor(() => history.trend(POINT, hourAgo - 1, hourAgo + 60_001, 100).length === 2, 10_000, 'both historical readings in the local history');
    expect(history.trend(POINT, hourAgo - 1, hourAgo + 60_001, 100).map((s) => [s.ts, s.value])).toEqual([
      [hourAgo, 95],
      [hourAgo + 60_000, 30],
    ]);

    const influxRows = async () => influx.rows(`SELECT value FROM reading WHERE point = '${POINT}' AND time >= ${hourAgo - 1}ms AND time <= ${hourAgo + 60_001}ms`, 'safety');
    await waitFor(async () => (await influxRows()).length === 2, 15_000, 'both historical readings in InfluxDB');
    expect((await influxRows()).map((r) => [r.time, r.value])).toEqual([
      [hourAgo, 95],
      [hourAgo + 60_000, 30],
    ]);

    // The past 95 °C neither raised an alarm nor became the point's value.
    expect(gateway.points.latest(POINT)?.value).toBe(41);
    expect(gateway.alarms.get(`${POINT}:HH`).state).toBe('NORMAL');
    expect(events.filter((e) => e.alarmId === `${POINT}:HH`)).toEqual([]);
    expect(gateway.metrics.counter('mqtt_ingest_historical', { device: 'sp' })).toBe(2);
  }, 60_000);

  it('a live metric over the limit does raise the alarm (the same path, not historical)', async () => {
    await publish('NDATA', [{ alias: 1, type: 'Double', value: 75 }]);
    await waitFor(() => events.some((e) => e.alarmId === `${POINT}:HH` && e.state === 'UNACK'), 10_000, 'the HH alarm from a live 75');
    expect(gateway.points.latest(POINT)?.value).toBe(75);
  }, 20_000);

  it('refuses a historical metric without a time, or with one in the future', async () => {
    await publish('NDATA', [{ alias: 1, type: 'Double', value: 20, isHistorical: true, timestamp: Date.now() + 86_400_000 }]);
    await waitFor(() => gateway.metrics.counter('mqtt_ingest_rejected', { device: 'sp', reason: 'bad_historical_time' }) === 1, 10_000, 'the future historical metric refused and counted');
    expect(gateway.points.latest(POINT)?.value).toBe(75);
  }, 20_000);
});
