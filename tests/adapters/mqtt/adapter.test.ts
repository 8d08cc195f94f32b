import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../../gateway/core/reading.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { MqttIngestAdapter } from '../../../adapters/mqtt/adapter.js';
import { encodeSparkplug } from '../../../adapters/mqtt/sparkplug-codec.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { waitFor } from '../../helpers/ports.js';
import { capturingLogger, connect, startEmbedded } from '../../gateway/mqtt/broker-harness.js';
import { device } from './helpers.js';

const PW = 'sensor password 1';
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function embedded() {
  const users = new UserStore(openDatabase(':memory:'), { hashParams: { ln: 10, r: 8, p: 1 } });
  await users.add({ name: 'co-sensor-1', password: PW, role: 'device' });
  const b = await startEmbedded({ users });
  stops.push(() => b.broker.stop());
  return b;
}

function adapterOn(dev: ReturnType<typeof device>, local: { url: string; username?: string; password?: string }) {
  const readings: Reading[] = [];
  const metrics = new Metrics();
  const { log, lines } = capturingLogger();
  const a = new MqttIngestAdapter(dev, { publish: (r) => readings.push(r), log, metrics, now: () => Date.now(), localMqtt: { ...local, gatewayId: 'gw1' } });
  stops.push(() => a.stop());
  return { a, readings, metrics, lines };
}

describe('MQTT ingest adapter on the embedded broker', () => {
  it('takes the simple form from a sensor logged in as a device, and counts what it rejects', async () => {
    const b = await embedded();
    const dev = device({ id: 'co-sensor-1', expectedPeriod: 60_000, points: [{ id: 'co_001', name: 'CO', range: { low: 0, high: 1000 } }] });
    const { a, readings, metrics, lines } = adapterOn(dev, { url: b.url, ...b.broker.internalUser });
    await a.start();
    const sensor = await connect(b.url, { username: 'co-sensor-1', password: PW, clientId: 'co-sensor-1' });
    stops.push(() => sensor.endAsync());
    await waitFor(() => b.metrics.total('mqtt_logins') >= 2, 5000, 'adapter subscribed');
    await new Promise((r) => setTimeout(r, 300));
    const ts = Date.now() - 1000;
    await sensor.publishAsync('gw/gw1/ingest/co-sensor-1', JSON.stringify({ point: 'co_001', value: 171.3, ts }), { qos: 1 });
    await sensor.publishAsync('gw/gw1/ingest/co-sensor-1', 'not json', { qos: 1 });
    await sensor.publishAsync('gw/gw1/ingest/co-sensor-1', JSON.stringify({ point: 'co_999', value: 1 }), { qos: 1 });
    await waitFor(() => readings.some((r) => r.point === 'co_001'), 5000, 'reading');
    await waitFor(() => metrics.total('mqtt_ingest_rejected') === 2, 5000, 'rejects counted');
    expect(readings.find((r) => r.point === 'co_001')).toMatchObject({ value: 171.3, quality: 'Good', ts });
    expect(readings.find((r) => r.point === 'co-sensor-1.comm_ok')?.value).toBe(true);
    expect(metrics.counter('mqtt_ingest_rejected', { device: 'co-sensor-1', reason: 'not_json' })).toBe(1);
    expect(metrics.counter('mqtt_ingest_rejected', { device: 'co-sensor-1', reason: 'unknown_point' })).toBe(1);
    expect(lines.some((l) => l.includes('topic "gw/gw1/ingest/co-sensor-1"') && l.includes('not_json'))).toBe(true);
  }, 30_000);

  it('turns the points of a silent sensor stale and its comm_ok false', async () => {
    const b = await embedded();
    const dev = device({ id: 'co-sensor-1', expectedPeriod: 1000, points: [{ id: 'co_001', name: 'CO' }, { id: 'co_002', name: 'CO2', expectedPeriod: 600 }] });
    const { a, readings } = adapterOn(dev, { url: b.url, ...b.broker.internalUser });
    await a.start();
    const sensor = await connect(b.url, { username: 'co-sensor-1', password: PW, clientId: 'co-sensor-1' });
    stops.push(() => sensor.endAsync());
    await new Promise((r) => setTimeout(r, 300));
    await sensor.publishAsync('gw/gw1/ingest/co-sensor-1', JSON.stringify([{ point: 'co_001', value: 1 }, { point: 'co_002', value: 2 }]), { qos: 1 });
    await waitFor(() => readings.some((r) => r.point === 'co_001' && r.quality === 'BadNotConnected'), 10_000, 'stale');
    await waitFor(() => readings.some((r) => r.point === 'co-sensor-1.comm_ok' && r.value === false), 10_000, 'comm loss');
    const seq = readings.filter((r) => r.point === 'co_002').map((r) => r.quality);
    expect(seq).toEqual(['Good', 'BadNotConnected']);
    // Heard again: good again.
    await sensor.publishAsync('gw/gw1/ingest/co-sensor-1', JSON.stringify({ point: 'co_001', value: 3 }), { qos: 1 });
    await waitFor(() => readings.filter((r) => r.point === 'co-sensor-1.comm_ok').at(-1)?.value === true, 5000, 'comm back');
  }, 30_000);

  it('asks a Sparkplug node for a rebirth over the broker after a seq gap', async () => {
    const b = await embedded();
    const dev = device({ id: 'sp', reorderTimeout: 500, subscriptions: [{ topic: 'spBv1.0/plant1/+/edge1/#', format: 'sparkplug' }], points: [{ id: 'node.temp', name: 'T', field: 'Temp' }] });
    const { a, readings } = adapterOn(dev, { url: b.url, ...b.broker.internalUser });
    await a.start();
    // The edge node: the gateway credential stands in for a node account with an acl grant on spBv1.0/#.
    const node = await connect(b.url, { ...b.broker.internalUser, clientId: 'edge1' });
    stops.push(() => node.endAsync());
    const ncmd: Buffer[] = [];
    node.on('message', (_t, p) => ncmd.push(p));
    await node.subscribeAsync('spBv1.0/plant1/NCMD/edge1');
    await new Promise((r) => setTimeout(r, 300));
    const enc = (p: Parameters<typeof encodeSparkplug>[0]) => Buffer.from(encodeSparkplug(p));
    await node.publishAsync('spBv1.0/plant1/NBIRTH/edge1', enc({ seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0n }, { name: 'Temp', alias: 1, type: 'Double', value: 20 }] }), { qos: 0 });
    await node.publishAsync('spBv1.0/plant1/NDATA/edge1', enc({ seq: 1, metrics: [{ alias: 1, type: 'Double', value: 21 }] }), { qos: 0 });
    await node.publishAsync('spBv1.0/plant1/NDATA/edge1', enc({ seq: 3, metrics: [{ alias: 1, type: 'Double', value: 23 }] }), { qos: 0 });
    await waitFor(() => ncmd.length > 0, 10_000, 'rebirth request');
    expect(readings.filter((r) => r.point === 'node.temp').map((r) => r.value)).toEqual([20, 21, 23]);
  }, 30_000);
});

describe('MQTT ingest adapter on an external broker (mosquitto)', () => {
  it('logs in with its own credentials and reads flat JSON', async () => {
    const m = await MosquittoServer.start({ users: { gateway: 'gateway password', sensor: 'sensor password' } });
    stops.push(() => m.stop());
    const dev = device({ id: 'lora', url: m.url, username: 'gateway', password: 'gateway password', cleanSession: false, clientId: 'gw1-lora', subscriptions: [{ topic: 'plant/{area}/{sensor}/up', format: 'json' }], points: [{ id: 'a.co', name: 'CO', field: '/co', match: { sensor: 'gd-07' } }] });
    const { a, readings } = adapterOn(dev, { url: 'mqtt://127.0.0.1:1' });
    await a.start();
    const sensor = await connect(m.url, { username: 'sensor', password: 'sensor password', clientId: 'gd-07' });
    stops.push(() => sensor.endAsync());
    await new Promise((r) => setTimeout(r, 500));
    await sensor.publishAsync('plant/gas/gd-07/up', JSON.stringify({ co: 42 }), { qos: 1 });
    await waitFor(() => readings.some((r) => r.point === 'a.co'), 5000, 'reading from mosquitto');
    expect(readings.find((r) => r.point === 'a.co')?.value).toBe(42);
  }, 30_000);
});
