import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeSparkplug } from '../../adapters/mqtt/sparkplug-codec.js';

/**
 * MQTT sources for the demo and tests: one of each kind the MQTT adapter reads, publishing as the
 * device account `user` (role device) through the gateway's broker.
 *
 * - simple form  gw/<gw>/ingest/<user>                         sinter-tail CO, crosses 24 and 160 ppm
 * - flat JSON    plant/sinter/gd-07/up                          LoRaWAN gas detector (CO, status)
 * - Alink        /sys/a1DemoPK/gh-co-1/thing/event/property/post gas-holder area CO
 * - Sparkplug B  spBv1.0/demo/{NBIRTH,NDATA}/edge1              cooling-water temperature
 * - AI video     ai/nvr1/event                                  未戴安全帽 on camera cam-03
 * - welder       welder/W-001/status                            焊机 一机一码: running, current, permit window
 *
 * Scenario (cycle 120 s at speed 1): CO on the simple form rises past 160 ppm at 40–60 s; a helmet
 * violation at 30 s; welder W-001 works 70–110 s with a permit that ends at 90 s (no-permit alarm).
 */
export interface MqttDemoOptions {
  url: string;
  gatewayId: string;
  user: string;
  password: string;
  speed?: number;
  /** Publish interval at speed 1. */
  intervalMs?: number;
}

export const MQTT_DEMO_TOPICS = ['plant/#', '/sys/#', 'spBv1.0/#', 'ai/#', 'welder/#'] as const;

/** The acl file granting the demo's device account the non-ingest topics above; returns its path. */
export function writeDemoAcl(dir: string, user: string): string {
  const file = join(dir, 'demo-acl.conf');
  writeFileSync(file, [`# Written by the demo: ${user} publishes the simulated MQTT sources.`, `user ${user}`, ...MQTT_DEMO_TOPICS.map((t) => `topic write ${t}`), 'topic read spBv1.0/demo/NCMD/#', ''].join('\n'), { mode: 0o600 });
  return file;
}

export class MqttDemoSources {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private seq = 0;
  private birthSent = false;

  constructor(private readonly o: MqttDemoOptions) {}

  /** Cycle time in seconds, at the demo's speed. */
  private t(): number {
    return (((Date.now() - this.startedAt) / 1000) * (this.o.speed ?? 1)) % 120;
  }

  start(): void {
    const c = mqtt.connect(this.o.url, { username: this.o.user, password: this.o.password, clientId: `${this.o.user}-sim`, reconnectPeriod: 1000 });
    this.client = c;
    c.on('connect', () => {
      this.birthSent = false;
      c.subscribe('spBv1.0/demo/NCMD/edge1');
    });
    // A rebirth request from the gateway: send a new birth.
    c.on('message', () => (this.birthSent = false));
    c.on('error', () => undefined);
    const interval = (this.o.intervalMs ?? 2000) / (this.o.speed ?? 1);
    this.timer = setInterval(() => this.tick(), Math.max(100, interval));
  }

  private birth(): void {
    this.seq = 0;
    this.publish('spBv1.0/demo/NBIRTH/edge1', Buffer.from(encodeSparkplug({ seq: 0, timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0n }, { name: 'Cooling/WaterTemp', alias: 1, type: 'Double', value: this.water() }] })));
    this.birthSent = true;
  }

  private water(): number {
    return Math.round((38 + 2 * Math.sin(this.t() / 10)) * 10) / 10;
  }

  private publish(topic: string, payload: string | Buffer): void {
    if (this.client?.connected) this.client.publish(topic, payload, { qos: 0 });
  }

  private tick(): void {
    if (!this.client?.connected) return;
    const t = this.t();
    const now = Date.now();
    const co = t >= 40 && t < 60 ? 20 + (t - 40) * 9 : 8 + Math.sin(t) * 2;
    this.publish(`gw/${this.o.gatewayId}/ingest/${this.o.user}`, JSON.stringify({ point: 'sinter.tail_co', value: Math.round(co * 10) / 10, ts: now }));
    this.publish('plant/sinter/gd-07/up', JSON.stringify({ data: { co: Math.round((6 + Math.cos(t / 7) * 2) * 10) / 10, status: 0 }, time: new Date(now).toISOString() }));
    this.publish('/sys/a1DemoPK/gh-co-1/thing/event/property/post', JSON.stringify({ id: String(now), version: '1.0', method: 'thing.event.property.post', params: { CO: { value: Math.round((5 + Math.sin(t / 5)) * 10) / 10, time: now } } }));
    if (!this.birthSent) this.birth();
    else {
      this.seq = (this.seq + 1) % 256;
      this.publish('spBv1.0/demo/NDATA/edge1', Buffer.from(encodeSparkplug({ seq: this.seq, timestamp: now, metrics: [{ alias: 1, type: 'Double', value: this.water() }] })));
    }
    if (t >= 30 && t < 32) this.publish('ai/nvr1/event', JSON.stringify({ camera: 'cam-03', type: '未戴安全帽', confidence: 0.92, time: now, snapshot: 'http://127.0.0.1/demo/snapshots/cam-03.jpg' }));
    const cycleStart = now - (t * 1000) / (this.o.speed ?? 1);
    const running = t >= 70 && t < 110;
    this.publish(
      'welder/W-001/status',
      JSON.stringify({ welderId: 'W-001', permitNo: 'DH-2026-0815', running, current: running ? 180 : 0, location: '2#转炉平台', permitFrom: Math.round(cycleStart), permitTo: Math.round(cycleStart + 90_000 / (this.o.speed ?? 1)) }),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync(true);
  }
}
