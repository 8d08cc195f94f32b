import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { EmbeddedBroker, type BrokerOptions } from '../../../gateway/mqtt/broker.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { consoleLogger, type Logger } from '../../../gateway/core/logger.js';

/** A logger that keeps its lines, for asserting what an operator would read. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: consoleLogger('debug', 'test', (l) => lines.push(l)), lines };
}

export async function startEmbedded(options: Partial<BrokerOptions> & { gatewayId?: string } = {}) {
  const metrics = new Metrics();
  const { log, lines } = capturingLogger();
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'gw1', allowAnonymous: false, log, metrics, ...options });
  const port = await broker.start();
  return { broker, port, metrics, lines, url: `mqtt://127.0.0.1:${port}` };
}

/** Connects, or rejects with the CONNACK refusal. No reconnects: a test sees each refusal once. */
export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** Subscribes and returns the granted QoS per filter (128 = refused). */
export async function subscribe(c: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    const granted = await c.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos }])));
    return filters.map((f) => granted.find((g) => g.topic === f)?.qos ?? -1);
  } catch (err) {
    // mqtt.js rejects when any filter is refused; the SUBACK's codes are in filter order.
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

export function collect(c: MqttClient): { topics: Set<string>; messages: { topic: string; payload: string; retain: boolean }[] } {
  const out = { topics: new Set<string>(), messages: [] as { topic: string; payload: string; retain: boolean }[] };
  c.on('message', (topic, payload, packet) => {
    out.topics.add(topic);
    out.messages.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
