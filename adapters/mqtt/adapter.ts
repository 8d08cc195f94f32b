import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Adapter, AdapterContext } from '../types.js';
import { BurstLog } from '../../gateway/core/burst-log.js';
import { untrusted } from '../../gateway/core/untrusted-text.js';
import { reservedClientIdPrefix } from '../../gateway/core/topics.js';
import type { MqttDevice } from './config.js';
import { emptyDecoded, MessageDecoder, resetDecoded, type Decoded } from './decode.js';
import { commOkPointId } from './diagnostics.js';
import { SparkplugSession } from './sparkplug-session.js';
import type { Reject } from './values.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { Series } from '../../gateway/core/metrics.js';
import { coalesceReads, sendMqttWithoutDelay } from '../../gateway/core/mqtt-socket.js';

/**
 * MQTT ingest: subscribes to the device's topics on the gateway's broker or an external one, turns
 * messages into readings (decode.ts, sparkplug-session.ts), and watches for silence: a point not
 * heard from within its expected period goes BadNotConnected, and `<device>.comm_ok` is false while
 * the broker is unreachable or the device silent.
 */
export class MqttIngestAdapter implements Adapter {
  readonly deviceId: string;
  private client: MqttClient | undefined;
  private readonly decoder: MessageDecoder;
  private readonly sparkplug: SparkplugSession | undefined;
  private readonly rejectLog: BurstLog;
  private readonly lastHeard = new Map<string, number>();
  private readonly stale = new Set<string>();
  private lastMessage = 0;
  private startedAt = 0;
  private commOk: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** ai-video event points: when each turns false again. */
  private readonly holdUntil = new Map<string, number>();
  /**
   * The decoder's result, reused message after message (no result object and no arrays per message).
   * `decoding` guards against a message handled inside the handling of another (it gets its own).
   */
  private readonly scratch = emptyDecoded();
  private decoding = false;
  /** mqtt_ingest_messages{device}, added to once per message. */
  private readonly messages: Series;

  constructor(
    private readonly device: MqttDevice,
    private readonly ctx: AdapterContext,
  ) {
    this.deviceId = device.id;
    const gatewayId = ctx.localMqtt?.gatewayId ?? 'gateway';
    this.decoder = new MessageDecoder(device, gatewayId);
    this.sparkplug = device.subscriptions.some((s) => s.format === 'sparkplug')
      ? new SparkplugSession(device, {
          now: () => ctx.now(),
          rebirth: (topic, payload) => this.client?.publish(topic, payload, { qos: 0 }),
        })
      : undefined;
    this.rejectLog = new BurstLog(ctx.log, 60_000);
    this.messages = ctx.metrics.counterSeries('mqtt_ingest_messages', { device: device.id });
  }

  async start(): Promise<void> {
    const d = this.device;
    const local = this.ctx.localMqtt;
    const url = d.url ?? local?.url;
    if (!url) throw new Error(`device ${d.id}: no broker (set url, or run the gateway with its MQTT broker)`);
    const onLocal = d.url === undefined;
    const gatewayId = local?.gatewayId ?? 'gateway';
    this.startedAt = this.ctx.now();
    this.client = mqtt.connect(url, {
      clientId: d.clientId ?? `${reservedClientIdPrefix(gatewayId)}mqtt-${d.id}`,
      clean: d.cleanSession,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      // mqtt.js logs through `debug` several times per received packet unless given a logger; the
      // gateway logs what matters itself (connect, errors, offline).
      log: () => undefined,
      username: onLocal ? local?.username : d.username,
      password: onLocal ? local?.password : d.password,
      ...(d.caFile ? { ca: readFileSync(d.caFile) } : {}),
      ...(d.certFile ? { cert: readFileSync(d.certFile) } : {}),
      ...(d.keyFile ? { key: readFileSync(d.keyFile) } : {}),
    });
    sendMqttWithoutDelay(this.client);
    coalesceReads(this.client, d.readCoalesceMs);
    this.client.on('connect', (ack) => {
      this.ctx.log.info(`connected to ${url}${ack.sessionPresent ? ' (session resumed)' : ''}`);
      // A resumed persistent session already holds the subscriptions.
      if (ack.sessionPresent) return;
      const filters = Object.fromEntries(this.decoder.subscriptions.map((s) => [s.template.filter, { qos: this.device.qos }]));
      this.client!.subscribe(filters, (err, granted) => {
        const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
        if (err || refused.length) this.ctx.log.error(`subscription refused by the broker: ${refused.join(', ') || (err as Error).message}`);
      });
    });
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('error', (err) => this.ctx.log.warn(`broker ${url}: ${err.message}`));
    this.client.on('offline', () => this.setCommOk(false, 'broker link down'));
    this.timer = setInterval(() => this.watch(), Math.max(250, Math.min(5000, Math.floor(this.minPeriod() / 4))));
    this.timer.unref();
  }

  private minPeriod(): number {
    const periods = this.device.points.map((p) => p.expectedPeriod ?? this.device.expectedPeriod);
    const aiVideo = this.device.subscriptions.some((s) => s.format === 'ai-video');
    return Math.min(this.device.expectedPeriod, ...periods, ...(this.sparkplug ? [this.device.reorderTimeout] : []), ...(aiVideo ? [this.device.eventHold] : []));
  }

  /** Public for the tests and mqtt-map: handles one message as if it came from the broker. */
  onMessage(topic: string, payload: Buffer): void {
    const now = this.ctx.now();
    this.messages.value++;
    const reuse = !this.decoding;
    this.decoding = true;
    try {
      this.handle(topic, payload, now, reuse ? resetDecoded(this.scratch) : emptyDecoded());
    } finally {
      if (reuse) this.decoding = false;
    }
  }

  private handle(topic: string, payload: Buffer, now: number, into: Decoded): void {
    const { metrics } = this.ctx;
    let decoded: Decoded;
    try {
      decoded = this.sparkplug && this.decoder.route(topic)?.sub.format === 'sparkplug' ? this.sparkplug.handle(topic, payload, now) : this.decoder.decode(topic, payload, now, into);
    } catch (err) {
      // A decoder bug must cost one message, never the adapter.
      decoded = { readings: [], rejects: [{ reason: 'bad_shape' as const, detail: `decoder failed: ${(err as Error).message}` }], skewed: 0 };
    }
    for (const r of decoded.rejects) this.reject(topic, r);
    if (decoded.skewed) metrics.inc('mqtt_ingest_clock_skew', { device: this.device.id }, decoded.skewed);
    if (decoded.holds) {
      for (const h of decoded.holds) {
        this.holdUntil.set(h.point, now + h.holdMs);
        // The snapshot is evidence the operator needs: it goes to the log with the event.
        this.ctx.log.info(`AI 视频事件 [video event] ${h.point} camera ${untrusted(h.camera)}${h.snapshot ? ` snapshot ${untrusted(h.snapshot, 500)}` : ''}`);
      }
    }
    if (decoded.historical?.length) this.publishHistory(decoded.historical);
    if (decoded.readings.length === 0) return;
    const readings = decoded.readings;
    let alive = false;
    for (let i = 0; i < readings.length && !alive; i++) alive = readings[i]!.quality !== 'BadNotConnected';
    if (alive) {
      this.lastMessage = now;
      this.setCommOk(true);
    } else this.setCommOk(false, 'the device announced its death (Sparkplug)');
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      if (alive) {
        this.lastHeard.set(r.point, now);
        // Nearly always empty: skip the lookup then (this runs for every reading).
        if (this.stale.size > 0) this.stale.delete(r.point);
      }
      this.ctx.publish(r);
    }
  }

  /** Readings from the device's past: to the history sinks, never the bus (no alarms, no latest value). */
  private publishHistory(readings: Reading[]): void {
    const kept = this.ctx.publishHistorical !== undefined;
    for (const r of readings) this.ctx.publishHistorical?.(r);
    this.ctx.metrics.inc(kept ? 'mqtt_ingest_historical' : 'mqtt_ingest_historical_dropped', { device: this.device.id }, readings.length);
  }

  private reject(topic: string, r: Reject): void {
    this.ctx.metrics.inc('mqtt_ingest_rejected', { device: this.device.id, reason: r.reason });
    this.rejectLog.report(`${r.reason}`, `MQTT 输入被拒 [message rejected] device ${this.device.id} topic "${untrusted(topic, 200)}": ${r.reason}: ${untrusted(r.detail, 200)}`);
  }

  private setCommOk(ok: boolean, why?: string): void {
    if (this.commOk === ok) return;
    this.commOk = ok;
    const now = this.ctx.now();
    if (!ok) this.ctx.log.warn(`device ${this.device.id} communication lost: ${why}`);
    this.ctx.publish({ point: commOkPointId(this.device.id), value: ok, quality: 'Good', ts: now, receivedAt: now, ...(why ? { reason: why } : {}) });
  }

  /** Stale points and device silence. */
  private watch(): void {
    const now = this.ctx.now();
    this.expireHolds(now);
    this.sparkplug?.tick(now);
    // Event sources (AI video) say nothing while nothing happens: silence is not staleness there.
    if (this.device.subscriptions.some((s) => s.format === 'ai-video')) return;
    for (const p of this.device.points) {
      const period = p.expectedPeriod ?? this.device.expectedPeriod;
      const heard = this.lastHeard.get(p.id) ?? this.startedAt;
      if (now - heard <= period || this.stale.has(p.id)) continue;
      this.stale.add(p.id);
      this.ctx.publish({ point: p.id, value: null, quality: 'BadNotConnected', ts: now, receivedAt: now, reason: `not heard from for ${Math.round((now - heard) / 1000)} s` });
    }
    if (now - (this.lastMessage || this.startedAt) > this.device.expectedPeriod) this.setCommOk(false, `silent for more than ${Math.round(this.device.expectedPeriod / 1000)} s`);
  }

  private expireHolds(now: number): void {
    for (const [point, until] of this.holdUntil) {
      if (now < until) continue;
      this.holdUntil.delete(point);
      this.ctx.publish({ point, value: false, quality: 'Good', ts: now, receivedAt: now, reason: 'event hold time over' });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.rejectLog.flush();
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true);
  }
}

export function createAdapter(device: MqttDevice, ctx: AdapterContext): Adapter {
  return new MqttIngestAdapter(device, ctx);
}
