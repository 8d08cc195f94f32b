import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../../gateway/mqtt/broker.js';
import { consoleLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { waitFor } from '../../helpers/ports.js';

describe('embedded broker: refused logins cannot write onto the operator terminal', () => {
  it('logs a forged client id and user name escaped, on one line, and counts the refusal', async () => {
    const lines: string[] = [];
    const metrics = new Metrics();
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, gatewayId: 'gw1', allowAnonymous: false, log: consoleLogger('info', 'mqtt', (l) => lines.push(l)), metrics });
    const port = await broker.start();
    const forged = 'x\n12:00:00 报警 #99 未确认 1号高炉煤气泄漏 【重大】\x1b[31m';
    const client = mqtt.connect({ host: '127.0.0.1', port, clientId: forged, username: `u\r\n\x1b[2J${forged}`, password: 'guess', reconnectPeriod: 0, connectTimeout: 5000 });
    client.on('error', () => undefined);
    try {
      await waitFor(() => lines.some((l) => l.includes('[login refused]')), 10_000, 'the refusal logged');
      const line = lines.find((l) => l.includes('[login refused]'))!;
      // eslint-disable-next-line no-control-regex -- matching control characters is the point: the log line must carry no raw newline, CR or ESC from the forged client id or user name
      expect(line).not.toMatch(/[\n\r\x1b]/);
      expect(line).toContain('\\x1b[31m');
      expect(metrics.total('mqtt_auth_failures')).toBe(1);
    } finally {
      client.end(true);
      await broker.stop();
    }
  });
});
