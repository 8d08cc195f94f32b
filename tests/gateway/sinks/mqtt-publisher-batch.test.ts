import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { ReadingBus } from '../../../gateway/core/bus.js';
import { EmbeddedBroker } from '../../../gateway/mqtt/broker.js';
import { resolvePublishPolicy } from '../../../gateway/sinks/mqtt-publish-policy.js';
import { MqttPublisher } from '../../../gateway/sinks/mqtt-publisher.js';
import { waitFor } from '../../helpers/ports.js';

/**
 * An embedded broker and a publisher connected to it through a TCP client (as to an external broker,
 * not the in-process shortcut), taking readings through the bus's tap as the gateway's service does.
 */
async function publisherOnBroker(gatewayId: string) {
  const metrics = new Metrics();
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId, allowAnonymous: true, log: silentLogger, metrics });
  const port = await broker.start();
  const bus = new ReadingBus();
  const alarms$ = new Subject<AlarmEvent>();
  const publisher = new MqttPublisher({ url: `mqtt://127.0.0.1:${port}`, gatewayId, ...broker.internalUser, policyOf: () => resolvePublishPolicy({}, undefined, true, 0), tap: (fn) => bus.tap(fn), log: silentLogger, metrics });
  return { metrics, broker, port, bus, alarms$, publisher };
}

describe('writes batched per event-loop turn', () => {
  it('alarm events and readings (from the bus tap) raised in many ticks of one turn all arrive, each topic in order', async () => {
    const { metrics, broker, port, bus, alarms$, publisher } = await publisherOnBroker('turn');
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const seqs: number[] = [];
    const values: unknown[] = [];
    sub.on('message', (topic, payload) => {
      if (topic === 'gw/turn/events') seqs.push((JSON.parse(payload.toString()) as AlarmEvent).seq);
      else if (topic === 'gw/turn/readings/p') values.push((JSON.parse(payload.toString()) as Reading).value);
    });
    await sub.subscribeAsync(['gw/turn/events', 'gw/turn/readings/#'], { qos: 1 });
    await publisher.start(bus.readings$, alarms$);
    try {
      // Like mqtt.js delivering one received message per tick: 200 ticks in one turn.
      await new Promise<void>((done) => {
        const tick = (i: number) => {
          if (i > 200) return done();
          bus.publish({ point: 'p', value: i, quality: 'Good', ts: i, receivedAt: i });
          if (i % 4 === 0) alarms$.next({ seq: i, alarmId: `p${i}:HH`, point: `p${i}`, condition: 'HH', severity: 3, state: 'UNACK', active: true, value: i, message: 'm', ts: i });
          process.nextTick(tick, i + 1);
        };
        tick(1);
      });
      await waitFor(() => seqs.length >= 50 && values.length >= 200, 10_000, '50 events and 200 readings');
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, k) => (k + 1) * 4));
      expect(values).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
      expect(metrics.counter('mqtt_readings_dropped', { reason: 'broker_slow' })).toBe(0);
    } finally {
      await sub.endAsync();
      await publisher.stop();
      await broker.stop();
    }
  });

  it('what a run of ticks publishes is written when the run ends, before the I/O and immediates queued behind it', async () => {
    const { broker, bus, alarms$, publisher } = await publisherOnBroker('run');
    await publisher.start(bus.readings$, alarms$);
    // The publisher's own connection: what it has handed to the kernel.
    const socket = (publisher as unknown as { client: { stream: { bytesWritten: number; writableLength: number } } }).client.stream;
    try {
      const before = socket.bytesWritten;
      const seen = await new Promise<{ written: number; buffered: number }>((done) => {
        // Queued before the events, as the loop's next I/O callback or immediate would be: the events
        // of the ticks below must not wait for it (an uncork by setImmediate ran after it).
        setImmediate(() => done({ written: socket.bytesWritten - before, buffered: socket.writableLength }));
        const tick = (i: number) => {
          if (i > 20) return;
          alarms$.next({ seq: i, alarmId: `p${i}:HH`, point: `p${i}`, condition: 'HH', severity: 3, state: 'UNACK', active: true, value: i, message: 'm', ts: i });
          process.nextTick(tick, i + 1);
        };
        tick(1);
      });
      expect(seen.buffered).toBe(0);
      // 20 events, each on events and on its retained alarm topic.
      expect(seen.written).toBeGreaterThan(40 * 20);
    } finally {
      await publisher.stop();
      await broker.stop();
    }
  });
});
