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
import { encodeSparkplug } from '../../../adapters/mqtt/sparkplug-codec.js';
import { tempDir } from '../../helpers/server-process.js';
import { waitFor } from '../../helpers/ports.js';
import { connect } from '../../gateway/mqtt/broker-harness.js';

/**
 * The whole gateway on its embedded broker: one device per payload format, each driven to an alarm
 * by real MQTT clients logged in with accounts of the user store and granted by an acl file.
 */
const PW = 'hub password 123';
let gateway: Gateway;
let hub: MqttClient;
let sensor: MqttClient;
let watcher: MqttClient;
const events: AlarmEvent[] = [];

beforeAll(async () => {
  const dir = tempDir('mqtt-e2e-');
  const store = new UserStore(openDatabase(join(dir, 'gateway.db')));
  await store.add({ name: 'co-sensor-1', password: PW, role: 'device' });
  await store.add({ name: 'hub', password: PW, role: 'device' });
  await store.add({ name: 'hmi', password: PW, role: 'viewer' });
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, 'user hub\ntopic write plant/#\ntopic write /sys/#\ntopic write ai/#\ntopic write welder/#\ntopic readwrite spBv1.0/#\n');
  const result = validateConfig({
    gateway: { id: 'e2e', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
    mqtt: { broker: 'embedded', aclFile },
    devices: [
      { id: 'co-sensor-1', type: 'mqtt', points: [{ id: 'booster.co', name: '加压机房一氧化碳', unit: 'ppm', area: 'gas', limits: { HH: 160 } }] },
      { id: 'lora', type: 'mqtt', subscriptions: [{ topic: 'plant/{area}/{sensor}/up', format: 'json' }], points: [{ id: 'ladle.co', name: '钢包烘烤区一氧化碳', area: 'gas', field: '/data/co', limits: { HH: 100 }, match: { sensor: 'gd-07' } }] },
      { id: 'dtu', type: 'mqtt', subscriptions: [{ topic: 'plant/dtu/{ch}', format: 'value' }], points: [{ id: 'dust.dp', name: '除尘器压差', area: 'dust', limits: { HH: 2000 }, match: { ch: 'dp' } }] },
      { id: 'alink', type: 'mqtt', subscriptions: [{ topic: '/sys/{pk}/{dn}/thing/event/property/post', format: 'alink' }], points: [{ id: 'gasholder.co', name: '煤气柜一氧化碳', area: 'gas', field: 'CO', limits: { HH: 100 } }] },
      { id: 'sp', type: 'mqtt', subscriptions: [{ topic: 'spBv1.0/plant1/+/edge1/#', format: 'sparkplug' }], points: [{ id: 'bf1.water_temp', name: '1#高炉冷却水温度', area: 'bf1', field: 'Temp', limits: { HH: 60 } }] },
      { id: 'nvr', type: 'mqtt', subscriptions: [{ topic: 'ai/{box}/event', format: 'ai-video' }], eventHold: '2s', points: [{ id: 'cam3.no_helmet', name: '1#转炉平台摄像头3', area: 'bof', type: 'boolean', field: '未戴安全帽', match: { camera: 'cam-03' } }] },
      {
        id: 'welder',
        type: 'mqtt',
        subscriptions: [{ topic: 'welder/{id}/status', format: 'json' }],
        points: [
          { id: 'w1.running', name: '1号焊机运行', area: 'bof', type: 'boolean', field: '/running', match: { id: 'W-001' } },
          { id: 'w1.permit_from', name: '1号焊机动火票开始', area: 'bof', field: '/permitFrom', match: { id: 'W-001' } },
          { id: 'w1.permit_to', name: '1号焊机动火票结束', area: 'bof', field: '/permitTo', match: { id: 'W-001' } },
        ],
      },
    ],
    rules: [
      { id: 'cam3-helmet', kind: 'video-event', point: 'cam3.no_helmet', condition: 'PPE', severity: 2, message: '1#转炉平台 摄像头 cam-03 发现未戴安全帽 (区域 bof)' },
      { id: 'w1-permit', kind: 'hot-work-permit', running: 'w1.running', permitFrom: 'w1.permit_from', permitTo: 'w1.permit_to', grace: 0 },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  gateway = new Gateway({ config: result.config, log: silentLogger, mqttPort: 0, dataDir: dir, write: () => undefined });
  await gateway.start();
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  watcher = await connect(url, { username: 'hmi', password: PW, clientId: 'hmi' });
  watcher.on('message', (_t, p) => events.push(JSON.parse(p.toString()) as AlarmEvent));
  await watcher.subscribeAsync('gw/e2e/events', { qos: 1 });
  hub = await connect(url, { username: 'hub', password: PW, clientId: 'hub' });
  sensor = await connect(url, { username: 'co-sensor-1', password: PW, clientId: 'co-sensor-1' });
}, 60_000);

afterAll(async () => {
  for (const c of [hub, sensor, watcher]) await c?.endAsync();
  await gateway?.stop();
});

const raised = (alarmId: string) => () => events.find((e) => e.alarmId === alarmId && e.state === 'UNACK');

describe('MQTT ingest end to end to alarms', () => {
  it('raises an alarm from every payload format', async () => {
    const now = Date.now();
    await sensor.publishAsync('gw/e2e/ingest/co-sensor-1', JSON.stringify({ point: 'booster.co', value: 171.3, ts: now }), { qos: 1 });
    await hub.publishAsync('plant/gas/gd-07/up', JSON.stringify({ data: { co: 130 } }), { qos: 1 });
    await hub.publishAsync('plant/dtu/dp', '2500', { qos: 1 });
    await hub.publishAsync('/sys/a1/gh-1/thing/event/property/post', JSON.stringify({ id: '1', version: '1.0', method: 'thing.event.property.post', params: { CO: { value: 150, time: now } } }), { qos: 1 });
    await hub.publishAsync('spBv1.0/plant1/NBIRTH/edge1', Buffer.from(encodeSparkplug({ seq: 0, timestamp: now, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0n }, { name: 'Temp', alias: 1, type: 'Double', value: 40 }] })), { qos: 1 });
    await hub.publishAsync('spBv1.0/plant1/NDATA/edge1', Buffer.from(encodeSparkplug({ seq: 1, timestamp: now, metrics: [{ alias: 1, type: 'Double', value: 75 }] })), { qos: 1 });
    await hub.publishAsync('ai/box1/event', JSON.stringify({ camera: 'cam-03', type: '未戴安全帽', confidence: 0.93, time: now, snapshot: 'http://nvr/1.jpg' }), { qos: 1 });
    await hub.publishAsync('welder/W-001/status', JSON.stringify({ running: true, permitFrom: now - 7_200_000, permitTo: now - 3_600_000, current: 180 }), { qos: 1 });
    for (const id of ['booster.co:HH', 'ladle.co:HH', 'dust.dp:HH', 'gasholder.co:HH', 'bf1.water_temp:HH', 'cam3.no_helmet:PPE', 'w1.running:NO_PERMIT']) await waitFor(raised(id), 10_000, `alarm ${id}`);
    expect(events.find((e) => e.alarmId === 'booster.co:HH')?.value).toBe(171.3);
    expect(events.find((e) => e.alarmId === 'cam3.no_helmet:PPE')?.message).toContain('cam-03');
    expect(events.find((e) => e.alarmId === 'cam3.no_helmet:PPE')?.message).toContain('抓拍 http://nvr/1.jpg');
    expect(events.find((e) => e.alarmId === 'w1.running:NO_PERMIT')?.message).toContain('动火作业票已过期');
  }, 30_000);

  it('clears the AI video event after its hold time', async () => {
    await waitFor(() => events.find((e) => e.alarmId === 'cam3.no_helmet:PPE' && e.state === 'RTN_UNACK'), 15_000, 'event cleared after the hold');
  }, 20_000);

  it('republishes mapped readings on readings/, not a simple-form message already on the gateway\'s topics', async () => {
    // An HMI reading gw/<id>/# (its viewer role may): the simple-form sensor's message reaches it on
    // the ingest topic; the gateway sends it again only for formats it translated (adapters/mqtt/publication.ts).
    const hmi = await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { username: 'hmi', password: PW, clientId: 'hmi-readings' });
    const seen: string[] = [];
    hmi.on('message', (topic) => seen.push(topic));
    await hmi.subscribeAsync(['gw/e2e/readings/#', 'gw/e2e/ingest/#'], { qos: 1 });
    await sensor.publishAsync('gw/e2e/ingest/co-sensor-1', JSON.stringify({ point: 'booster.co', value: 12.5, ts: Date.now() }), { qos: 1 });
    await hub.publishAsync('plant/gas/gd-07/up', JSON.stringify({ data: { co: 12 } }), { qos: 1 });
    await waitFor(() => seen.includes('gw/e2e/readings/ladle.co') && seen.includes('gw/e2e/ingest/co-sensor-1'), 10_000, 'the lora reading and the sensor message');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).not.toContain('gw/e2e/readings/booster.co');
    await hmi.endAsync();
  }, 20_000);

  it('drops a forged message from the HMI and a sensor writing another sensor\'s topic', async () => {
    const before = events.length;
    await sensor.publishAsync('plant/gas/gd-07/up', JSON.stringify({ data: { co: 5 } }), { qos: 1 });
    await sensor.publishAsync('gw/e2e/ingest/lora', JSON.stringify({ point: 'ladle.co', value: 1 }), { qos: 1 });
    await watcher.publishAsync('gw/e2e/events', JSON.stringify({ alarmId: 'fake' }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 800));
    expect(events.slice(before).some((e) => e.alarmId === 'fake' || (e.alarmId === 'ladle.co:HH' && e.state !== 'UNACK'))).toBe(false);
    expect(watcher.connected && sensor.connected).toBe(true);
  }, 20_000);
});
