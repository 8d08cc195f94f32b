import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { EmbeddedBroker } from '../../../gateway/mqtt/broker.js';

let broker: EmbeddedBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

/** One MQTT login attempt; resolves with the broker's answer. */
async function login(port: number, username: string, password: string): Promise<'accepted' | 'refused'> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    return await new Promise((resolve, reject) => {
      client.once('connect', () => resolve('accepted'));
      client.once('error', (e: Error & { code?: number }) => (e.code === 4 || e.code === 5 ? resolve('refused') : reject(e)));
    });
  } finally {
    client.end(true);
  }
}

describe('embedded MQTT broker', () => {
  it('counts every refused login but logs a client that keeps retrying once, naming the user and address', async () => {
    const warnings: { msg: string; fields?: Record<string, unknown> | undefined }[] = [];
    const log: Logger = { ...silentLogger, warn: (msg, fields) => void warnings.push({ msg, fields }), child: () => log };
    const metrics = new Metrics();
    broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'gw', allowAnonymous: false, log, metrics });
    const port = await broker.start();
    for (let i = 0; i < 5; i++) expect(await login(port, 'hmi', 'wrong')).toBe('refused');
    expect(metrics.total('mqtt_auth_failures')).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/MQTT 登录被拒 \[login refused\] \(\w+\) from 127\.0\.0\.1: client "\S+" user "hmi"/);
  });
});
