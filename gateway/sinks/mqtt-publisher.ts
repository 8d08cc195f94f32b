import mqtt, { type MqttClient } from 'mqtt';
import type { Observable, Subscription } from 'rxjs';
import type { Reading } from '../core/reading.js';
import type { AlarmEvent } from '../core/alarm-event.js';
import type { Logger } from '../core/logger.js';
import { RateLimitedLog } from '../core/rate-limited-log.js';
import type { Metrics } from '../core/metrics.js';
import { topics } from '../mqtt/topics.js';

export interface MqttPublisherOptions {
  url: string;
  gatewayId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Unchanged readings are republished at least this often (0: only on change). */
  readingsMaxIntervalMs: number;
  /** Readings waiting for the broker beyond this are dropped (and counted); alarms are never dropped. */
  maxQueuedReadings?: number;
  log: Logger;
  metrics: Metrics;
}

/**
 * Publishes readings, alarm states and events on the DESIGN.md topics, and the gateway's retained
 * online/offline status with an MQTT last will so subscribers learn of a crash too.
 */
export class MqttPublisher {
  private client: MqttClient | undefined;
  private readonly subs: Subscription[] = [];
  private readonly lastSent = new Map<string, { value: Reading['value']; quality: string; at: number }>();

  constructor(private readonly o: MqttPublisherOptions) {}

  /**
   * `retained` are the alarms' latest events from before this start: the embedded broker keeps no
   * retained messages across a restart, so they are published again for late-joining HMIs.
   */
  async start(readings$: Observable<Reading>, alarms$: Observable<AlarmEvent>, retained: readonly AlarmEvent[] = []): Promise<void> {
    const statusTopic = topics.status(this.o.gatewayId);
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
    this.subs.push(readings$.subscribe((r) => this.publishReading(r)));
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

  private publishReading(r: Reading): void {
    const client = this.client;
    if (!client) return;
    const prev = this.lastSent.get(r.point);
    const changed = !prev || prev.value !== r.value || prev.quality !== r.quality;
    const due = prev && this.o.readingsMaxIntervalMs > 0 && r.receivedAt - prev.at >= this.o.readingsMaxIntervalMs;
    if (!changed && !due) return;
    // mqtt.js queues while disconnected; bound that queue for readings (the latest value matters most).
    if (client.queue.length > (this.o.maxQueuedReadings ?? 10_000)) {
      this.o.metrics.inc('mqtt_readings_dropped');
      return;
    }
    this.lastSent.set(r.point, { value: r.value, quality: r.quality, at: r.receivedAt });
    client.publish(topics.reading(this.o.gatewayId, r.point), JSON.stringify(r), { qos: 0 });
    this.o.metrics.inc('mqtt_readings_published');
  }

  private publishAlarm(e: AlarmEvent): void {
    const client = this.client;
    if (!client) return;
    const body = JSON.stringify(e);
    client.publish(topics.events(this.o.gatewayId), body, { qos: 1 });
    client.publish(topics.alarm(this.o.gatewayId, e.alarmId), body, { qos: 1, retain: true });
    this.o.metrics.inc('mqtt_alarm_events_published');
  }

  /** Publishes the retained offline status, then disconnects cleanly (no last will). */
  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await client.publishAsync(topics.status(this.o.gatewayId), 'offline', { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync(false).catch(() => undefined);
  }
}
