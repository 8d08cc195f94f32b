import mqtt, { type MqttClient } from 'mqtt';

/**
 * The wireless sensor of a demo scenario (simulators/modbus/scenarios/, `Scenario.mqtt`): publishes
 * its points in the simple form on gw/<gw>/ingest/<user> as the demo's device account, on the same
 * scenario clock as the Modbus simulator, and says nothing while a point's script returns undefined
 * (the detector is out of radio coverage): that silence is what the confined-space MONITOR and the
 * CO detectors' STALE checks watch for.
 */
export interface ScenarioMqttOptions {
  url: string;
  gatewayId: string;
  user: string;
  password: string;
  points: Record<string, (t: number) => number | boolean | undefined>;
  /** Scenario time in seconds (the Modbus simulator's, so both follow one script). */
  clock: () => number;
  /** Real time between publications, ms. */
  intervalMs?: number;
}

export class ScenarioMqttSource {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Messages published, for the tests. */
  published = 0;

  constructor(private readonly o: ScenarioMqttOptions) {}

  get topic(): string {
    return `gw/${this.o.gatewayId}/ingest/${this.o.user}`;
  }

  start(): void {
    const c = mqtt.connect(this.o.url, { username: this.o.user, password: this.o.password, clientId: `${this.o.user}-scenario`, reconnectPeriod: 1000 });
    this.client = c;
    // The gateway's broker may not listen yet: mqtt.js retries every second.
    c.on('error', () => undefined);
    c.on('connect', () => this.tick());
    this.timer = setInterval(() => this.tick(), Math.max(100, this.o.intervalMs ?? 1000));
  }

  /** The readings the sensor sends at scenario time t (none while every point is silent). */
  readingsAt(t: number, now = Date.now()): { point: string; value: number | boolean; ts: number }[] {
    const out: { point: string; value: number | boolean; ts: number }[] = [];
    for (const [point, at] of Object.entries(this.o.points)) {
      const v = at(t);
      if (v !== undefined) out.push({ point, value: typeof v === 'number' ? Math.round(v * 100) / 100 : v, ts: now });
    }
    return out;
  }

  private tick(): void {
    if (!this.client?.connected) return;
    const readings = this.readingsAt(this.o.clock());
    if (readings.length === 0) return;
    this.client.publish(this.topic, JSON.stringify(readings), { qos: 0 });
    this.published++;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync(true);
  }
}
