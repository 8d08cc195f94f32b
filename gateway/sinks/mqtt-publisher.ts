import mqtt, { type MqttClient } from 'mqtt';
import { EMPTY, type Observable, type Subscription } from 'rxjs';
import type { Reading } from '../core/reading.js';
import type { AlarmEvent } from '../core/alarm-event.js';
import type { Logger } from '../core/logger.js';
import { RateLimitedLog } from '../core/rate-limited-log.js';
import type { Metrics, Series } from '../core/metrics.js';
import { topics } from '../mqtt/topics.js';
import { sendMqttWithoutDelay } from '../core/mqtt-socket.js';
import type { PublishPolicy } from './mqtt-publish-policy.js';
import type { PointChannel, ReadingHook } from '../core/bus.js';

/** What was last published for one point, and how it may be published. */
interface PointSlot {
  policy: PublishPolicy;
  sent: boolean;
  value: Reading['value'];
  quality: string;
  at: number;
}

export interface MqttPublisherOptions {
  url: string;
  gatewayId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Each point's publication policy (report by exception, or not at all). */
  policyOf: (pointId: string) => PublishPolicy;
  /** No point is published at all: readings are not even looked at. */
  noReadings?: boolean;
  /**
   * The bus's tap (ReadingBus.tap): readings arrive as a plain call with their point's channel, so
   * the publication state is found by the channel's index instead of a lookup by point id, and no
   * RxJS subscriber chain runs per reading (at 40,000 MQTT messages a second, ~1 µs of each). Without
   * it, readings$ is subscribed to.
   */
  tap?: (fn: ReadingHook) => () => void;
  /** Readings waiting for the broker beyond this are dropped (and counted); alarms are never dropped. */
  maxQueuedReadings?: number;
  /** Readings are dropped (counted) while more than this many bytes wait in the socket to the broker. */
  maxBufferedBytes?: number;
  log: Logger;
  metrics: Metrics;
  /**
   * The embedded broker in this process: publish straight into it rather than through a TCP client
   * (no serialising and parsing each message twice). Delivery still goes through its ACL checks.
   */
  local?: LocalBroker | undefined;
}

/** Publishing into an in-process broker. */
export interface LocalBroker {
  publish(topic: string, payload: string, qos: 0 | 1, retain: boolean): void;
  /** Whether any client could receive a topic directly under this prefix (readings skip otherwise). */
  hasSubscriberUnder(prefix: string): boolean;
}

/**
 * Publishes readings, alarm states and events on the DESIGN.md topics, and the gateway's retained
 * online/offline status with an MQTT last will so subscribers learn of a crash too.
 */
export class MqttPublisher {
  private client: MqttClient | undefined;
  private readonly subs: Subscription[] = [];
  /** Publication state per point; not a copy of the latest value (that is the point registry's). */
  private readonly slots = new Map<string, PointSlot>();
  /** The same slots by bus channel index, when readings come through the tap. */
  private readonly slotByChannel: (PointSlot | undefined)[] = [];
  private untap: (() => void) | undefined;

  private readonly readingsPrefix: string;
  /** The socket is corked until the current run of ticks ends (see batchWrites). */
  private corked = false;

  /**
   * Counted per reading: series looked up once (Metrics.counterSeries), where building and hashing
   * the label key per reading took ~0.3 µs; each appears at its first increment, as with inc().
   */
  private readonly counted: { droppedOffline?: Series; droppedSlow?: Series; published?: Series } = {};

  constructor(private readonly o: MqttPublisherOptions) {
    this.readingsPrefix = topics.reading(o.gatewayId, '');
  }

  /**
   * `retained` are the alarms' latest events from before this start: the embedded broker keeps no
   * retained messages across a restart, so they are published again for late-joining HMIs.
   * `restored$` brings those of alarms defined later (the services' own), as they are restored.
   */
  async start(readings$: Observable<Reading>, alarms$: Observable<AlarmEvent>, retained: readonly AlarmEvent[] = [], restored$: Observable<AlarmEvent> = EMPTY): Promise<void> {
    const statusTopic = topics.status(this.o.gatewayId);
    const local = this.o.local;
    if (local) {
      // In-process: the broker lives and dies with the gateway, so a last will adds nothing.
      local.publish(statusTopic, 'online', 1, true);
      for (const e of retained) local.publish(topics.alarm(this.o.gatewayId, e.alarmId), JSON.stringify(e), 1, true);
      this.subs.push(restored$.subscribe((e) => local.publish(topics.alarm(this.o.gatewayId, e.alarmId), JSON.stringify(e), 1, true)));
      this.takeReadings(readings$);
      this.subs.push(alarms$.subscribe((e) => this.publishAlarm(e)));
      return;
    }
    const client = mqtt.connect(this.o.url, {
      clientId: `gateway-${this.o.gatewayId}-${process.pid}`,
      username: this.o.username,
      password: this.o.password,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    sendMqttWithoutDelay(client);
    // mqtt.js retries every second while the broker is down: one line per backoff step, with a count.
    const errors = new RateLimitedLog(this.o.log);
    client.on('connect', () => {
      errors.clearAll();
      this.o.log.info(`MQTT connected to ${this.o.url}`);
      client.publish(statusTopic, 'online', { qos: 1, retain: true });
    });
    client.on('error', (e) => {
      this.o.metrics.inc('mqtt_client_errors');
      errors.warn(e.message, `MQTT 连接错误 [MQTT error]: ${e.message}`);
    });
    // Publish and subscribe before the first await: mqtt.js queues while connecting, so no alarm event
    // between this call and the connection is lost, and none can slip in before the retained snapshot.
    for (const e of retained) client.publish(topics.alarm(this.o.gatewayId, e.alarmId), JSON.stringify(e), { qos: 1, retain: true });
    this.subs.push(restored$.subscribe((e) => client.publish(topics.alarm(this.o.gatewayId, e.alarmId), JSON.stringify(e), { qos: 1, retain: true })));
    this.takeReadings(readings$);
    this.subs.push(alarms$.subscribe((e) => this.publishAlarm(e)));
    if (client.connected) return;
    // The gateway runs on without the broker (alarms still print and are journaled); mqtt.js keeps
    // reconnecting, so give up waiting, not connecting.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.o.log.warn(`MQTT 服务器 ${this.o.url} 暂时无法连接，后台重试 [broker not reachable yet]`);
        resolve();
      }, 5_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private takeReadings(readings$: Observable<Reading>): void {
    if (this.o.noReadings) return;
    const tap = this.o.tap;
    if (!tap) {
      this.subs.push(readings$.subscribe((r) => this.publishReading(r, this.slotOf(r.point))));
      return;
    }
    this.untap = tap((r, ch) => {
      try {
        this.publishReading(r, this.slotByChannel[ch.index] ?? this.channelSlot(ch));
      } catch (err) {
        // The tap runs on the adapter's stack: a publishing failure costs this reading, nothing else.
        this.o.metrics.inc('mqtt_readings_dropped', { reason: 'error' });
        this.o.log.warn(`MQTT reading not published: ${(err as Error).message}`);
      }
    });
  }

  private slotOf(point: string): PointSlot {
    let slot = this.slots.get(point);
    if (slot === undefined) {
      slot = { policy: this.o.policyOf(point), sent: false, value: null, quality: '', at: 0 };
      this.slots.set(point, slot);
    }
    return slot;
  }

  private channelSlot(ch: PointChannel): PointSlot {
    const slot = this.slotOf(ch.point);
    this.slotByChannel[ch.index] = slot;
    return slot;
  }

  private publishReading(r: Reading, slot: PointSlot): void {
    const policy = slot.policy;
    if (policy.off) return;
    const client = this.client;
    const local = this.o.local;
    if (!client && !local) return;
    // In process we know the subscriptions: a reading no client can receive is not built at all.
    if (local && !local.hasSubscriberUnder(this.readingsPrefix)) return;
    let changed = !slot.sent || slot.quality !== r.quality;
    if (!changed) {
      const v = r.value;
      const prev = slot.value;
      changed = typeof v === 'number' && typeof prev === 'number' ? Math.abs(v - prev) > policy.deadband || (policy.deadband === 0 && v !== prev) : v !== prev;
    }
    const due = slot.sent && policy.maxIntervalMs > 0 && r.receivedAt - slot.at >= policy.maxIntervalMs;
    if (!changed && !due) return;
    // mqtt.js queues while disconnected; bound that queue for readings (the latest value matters most).
    if (client && client.queue.length > (this.o.maxQueuedReadings ?? 10_000)) {
      (this.counted.droppedOffline ??= this.o.metrics.counterSeries('mqtt_readings_dropped', { reason: 'offline_queue' })).value++;
      return;
    }
    // Connected but the broker does not keep up: readings waiting in the socket would hold back the
    // alarm events written after them (one TCP stream), so beyond a bound the reading is dropped
    // (counted) and the point keeps its last sent value, to go out with its next change.
    if (client && (client.stream?.writableLength ?? 0) > (this.o.maxBufferedBytes ?? 256 * 1024)) {
      (this.counted.droppedSlow ??= this.o.metrics.counterSeries('mqtt_readings_dropped', { reason: 'broker_slow' })).value++;
      return;
    }
    slot.sent = true;
    slot.value = r.value;
    slot.quality = r.quality;
    slot.at = r.receivedAt;
    if (local) local.publish(topics.reading(this.o.gatewayId, r.point), JSON.stringify(r), 0, false);
    else {
      this.batchWrites(client!);
      client!.publish(topics.reading(this.o.gatewayId, r.point), JSON.stringify(r), { qos: 0 });
    }
    (this.counted.published ??= this.o.metrics.counterSeries('mqtt_readings_published')).value++;
  }

  /**
   * Holds the socket's writes until the current run of ticks ends, so that what one socket read of
   * input publishes goes out in one write. mqtt.js hands each received message to the gateway in its
   * own tick and mqtt-packet uncorks after each tick: every alarm event (and republished reading) was
   * its own writev syscall, which on loopback also runs the broker side of the TCP stack, ~60 µs
   * each (adapters/mqtt/README.md, Benchmark). The uncork is a microtask: Node runs microtasks once
   * the tick queue is empty, i.e. after the last message of the read, before any other I/O callback.
   * (It was a setImmediate, which waits for the end of the loop's poll phase: libuv reads a busy
   * socket up to 32 times in one poll, so an event raised by the first read waited for all the others
   * to be processed, up to a second under backlog.) The backlog bound for readings sees these bytes
   * too (writableLength).
   */
  private batchWrites(client: MqttClient): void {
    const stream = client.stream as (MqttClient['stream'] & { cork?: () => void; uncork?: () => void }) | undefined;
    if (this.corked || !client.connected || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
    this.corked = true;
    stream.cork();
    queueMicrotask(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  /** Connected to the broker now. */
  get connected(): boolean {
    if (this.o.local) return this.subs.length > 0;
    return this.client?.connected ?? false;
  }

  private publishAlarm(e: AlarmEvent): void {
    const body = JSON.stringify(e);
    const local = this.o.local;
    if (local) {
      local.publish(topics.events(this.o.gatewayId), body, 1, false);
      local.publish(topics.alarm(this.o.gatewayId, e.alarmId), body, 1, true);
    } else {
      const client = this.client;
      if (!client) return;
      this.batchWrites(client);
      client.publish(topics.events(this.o.gatewayId), body, { qos: 1 });
      client.publish(topics.alarm(this.o.gatewayId, e.alarmId), body, { qos: 1, retain: true });
    }
    this.o.metrics.inc('mqtt_alarm_events_published');
  }

  /** Publishes the retained offline status, then disconnects cleanly (no last will). */
  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    this.untap?.();
    this.untap = undefined;
    if (this.o.local) {
      this.o.local.publish(topics.status(this.o.gatewayId), 'offline', 1, true);
      return;
    }
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await client.publishAsync(topics.status(this.o.gatewayId), 'offline', { qos: 1, retain: true }).catch(() => undefined);
    }
    // A clean end waits for QoS 1 messages in flight; with no broker (or one that stopped answering)
    // they never complete, so the shutdown would hang: end forcibly then, or after a short grace.
    if (!client.connected) {
      await client.endAsync(true).catch(() => undefined);
      return;
    }
    let grace: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      grace = setTimeout(() => resolve(client.endAsync(true).catch(() => undefined)), 3_000);
    });
    await Promise.race([client.endAsync(false).catch(() => undefined), forced]);
    clearTimeout(grace);
  }
}
