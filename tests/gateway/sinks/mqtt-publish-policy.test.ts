import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { EmbeddedBroker } from '../../../gateway/mqtt/broker.js';
import { resolvePublishPolicy } from '../../../gateway/sinks/mqtt-publish-policy.js';
import { MqttPublisher } from '../../../gateway/sinks/mqtt-publisher.js';
import { waitFor } from '../../helpers/ports.js';

describe('MQTT reading publication policy', () => {
  it('the point wins over its device, the device over the global default', () => {
    const range = { low: 0, high: 1000 };
    expect(resolvePublishPolicy({ range }, undefined, true, 10_000)).toEqual({ off: false, deadband: 0, maxIntervalMs: 10_000 });
    expect(resolvePublishPolicy({ range }, false, true, 10_000).off).toBe(true);
    expect(resolvePublishPolicy({ range, publish: { deadband: '1%' } }, false, true, 10_000)).toEqual({ off: false, deadband: 10, maxIntervalMs: 10_000 });
    expect(resolvePublishPolicy({ range }, { deadband: 2, maxInterval: 60_000 }, false, 10_000)).toEqual({ off: false, deadband: 2, maxIntervalMs: 60_000 });
    expect(resolvePublishPolicy({ range, publish: false }, true, true, 10_000).off).toBe(true);
  });

  describe('through a real broker', () => {
    const metrics = new Metrics();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'pol', allowAnonymous: true, log: silentLogger, metrics });
    const readings$ = new Subject<Reading>();
    let publisher: MqttPublisher;
    let sub: mqtt.MqttClient;
    const got: { topic: string; value: unknown }[] = [];

    beforeAll(async () => {
      const port = await broker.start();
      sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
      await sub.subscribeAsync('gw/pol/readings/#');
      sub.on('message', (topic, payload) => got.push({ topic: topic.split('/').pop()!, value: (JSON.parse(payload.toString()) as Reading).value }));
      const policies = new Map([
        ['quiet', resolvePublishPolicy({}, undefined, false, 0)],
        ['co', resolvePublishPolicy({ range: { low: 0, high: 1000 }, publish: { deadband: '1%', maxInterval: 0 } }, undefined, true, 0)],
        ['flag', resolvePublishPolicy({}, undefined, true, 0)],
      ]);
      publisher = new MqttPublisher({ url: `mqtt://127.0.0.1:${port}`, gatewayId: 'pol', ...broker.internalUser, policyOf: (id) => policies.get(id)!, log: silentLogger, metrics });
      await publisher.start(readings$, new Subject<AlarmEvent>());
    });

    afterAll(async () => {
      await publisher.stop();
      await sub.endAsync();
      await broker.stop();
    });

    it('publishes by exception: nothing for publish:false, moves beyond the deadband, quality changes', async () => {
      const r = (point: string, value: number | boolean | null, quality: Reading['quality'] = 'Good'): Reading => ({ point, value, quality, ts: 1, receivedAt: 1 });
      for (const v of [1, 2, 3]) readings$.next(r('quiet', v));
      for (const v of [100, 105, 109, 111, 111, 95]) readings$.next(r('co', v)); // 1 % of 0–1000 = 10 ppm
      readings$.next(r('co', null, 'BadTimeout'));
      for (const v of [false, false, true]) readings$.next(r('flag', v));
      await waitFor(() => got.length >= 6, 5000, 'six readings');
      await new Promise((res) => setTimeout(res, 300));
      expect(got.filter((g) => g.topic === 'quiet')).toEqual([]);
      expect(got.filter((g) => g.topic === 'co').map((g) => g.value)).toEqual([100, 111, 95, null]);
      expect(got.filter((g) => g.topic === 'flag').map((g) => g.value)).toEqual([false, true]);
    });
  });
});

describe('in-process publication to the embedded broker', () => {
  it('builds readings only while some client can receive them; alarms always go out', async () => {
    const metrics = new Metrics();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'loc', allowAnonymous: true, log: silentLogger, metrics });
    const port = await broker.start();
    const readings$ = new Subject<Reading>();
    const alarms$ = new Subject<AlarmEvent>();
    const publisher = new MqttPublisher({
      url: `mqtt://127.0.0.1:${port}`,
      gatewayId: 'loc',
      policyOf: () => resolvePublishPolicy({}, undefined, true, 0),
      log: silentLogger,
      metrics,
      local: { publish: (t, p, q, r) => broker.publishLocal(t, p, q, r), hasSubscriberUnder: (prefix) => broker.hasSubscriberUnder(prefix) },
    });
    await publisher.start(readings$, alarms$);
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const got: string[] = [];
    sub.on('message', (topic) => got.push(topic));
    try {
      await sub.subscribeAsync('gw/loc/events', { qos: 1 });
      readings$.next({ point: 'co', value: 1, quality: 'Good', ts: 1, receivedAt: 1 });
      expect(metrics.counter('mqtt_readings_published')).toBe(0);
      await sub.subscribeAsync('gw/loc/readings/#');
      readings$.next({ point: 'co', value: 2, quality: 'Good', ts: 2, receivedAt: 2 });
      alarms$.next({ seq: 1, alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, state: 'UNACK', active: true, value: 2, message: 'm', ts: 2 });
      await waitFor(() => got.includes('gw/loc/readings/co') && got.includes('gw/loc/events'), 5000, 'reading and event');
      expect(metrics.counter('mqtt_readings_published')).toBe(1);
    } finally {
      await sub.endAsync();
      await publisher.stop();
      await broker.stop();
    }
  });
});

describe('a broker that does not keep up', () => {
  it('drops readings (counted) while bytes wait in the socket, and alarm events still go out', async () => {
    const metrics = new Metrics();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'slow', allowAnonymous: true, log: silentLogger, metrics });
    const port = await broker.start();
    const readings$ = new Subject<Reading>();
    const alarms$ = new Subject<AlarmEvent>();
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const events: string[] = [];
    sub.on('message', (topic) => events.push(topic));
    await sub.subscribeAsync('gw/slow/events', { qos: 1 });
    // maxBufferedBytes 0: any write still pending in the socket counts as "the broker is behind".
    const publisher = new MqttPublisher({ url: `mqtt://127.0.0.1:${port}`, gatewayId: 'slow', ...broker.internalUser, policyOf: () => resolvePublishPolicy({}, undefined, true, 0), maxBufferedBytes: 0, log: silentLogger, metrics });
    await publisher.start(readings$, alarms$);
    try {
      for (let i = 0; i < 2000; i++) readings$.next({ point: `p${i}`, value: i, quality: 'Good', ts: i, receivedAt: i });
      alarms$.next({ seq: 1, alarmId: 'p1:HH', point: 'p1', condition: 'HH', severity: 3, state: 'UNACK', active: true, value: 1, message: 'm', ts: 1 });
      await waitFor(() => events.includes('gw/slow/events'), 5000, 'the alarm event');
      expect(metrics.counter('mqtt_readings_dropped', { reason: 'broker_slow' })).toBeGreaterThan(0);
      expect(metrics.counter('mqtt_readings_published')).toBeLessThan(2000);
    } finally {
      await sub.endAsync();
      await publisher.stop();
      await broker.stop();
    }
  });
});
