import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ModbusLink } from '../../../adapters/modbus/link.js';
import { silentLogger, type Logger } from '../../../gateway/core/logger.js';
import { freePort } from '../../helpers/server-process.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';

const timing = { timeoutMs: 200, interFrameDelayMs: 0, turnaroundDelayMs: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Modbus link', () => {
  it('backs off exponentially with jitter up to the maximum, failing requests at once meanwhile', async () => {
    const port = await freePort(); // nothing listens there
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => void warnings.push(m), child: () => log };
    const link = new ModbusLink({ kind: 'tcp', host: '127.0.0.1', port }, { connectDelayMs: 0, reconnectMinMs: 40, reconnectMaxMs: 320, connectTimeoutMs: 1000, log });
    const delays: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        await expect(link.read(1, 'holding', 0, 1, timing)).rejects.toMatchObject({ kind: 'connect' });
        delays.push(link.retryInMs);
        // Until the next attempt is due, requests fail at once and send nothing.
        await expect(link.read(1, 'holding', 0, 1, timing)).rejects.toMatchObject({ kind: 'notConnected' });
        await sleep(link.retryInMs + 5);
      }
    } finally {
      await link.close();
    }
    // 40, 80, 160, 320, 320, 320 ms, each ±20 % (less the few ms between scheduling and reading it back).
    const expected = [40, 80, 160, 320, 320, 320];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(expected[i]! * 0.8 - 20);
      expect(d).toBeLessThanOrEqual(expected[i]! * 1.2 + 1);
    });
    // Jitter: the capped delays are not all identical (a plant's gateways must not reconnect in lock-step).
    expect(new Set(delays.slice(3)).size).toBeGreaterThan(1);
    // Six refused connects within the first 10 s backoff step of the log: one line, not six.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/连接失败 cannot connect: .*ECONNREFUSED.*; retrying in \d+ ms/);
  });

  it('keeps one request in flight and answers in order', async () => {
    const sim = new RegisterServer();
    await sim.start();
    sim.setReplyDelay(20);
    for (let i = 0; i < 10; i++) sim.bank(1).write('holding', i, i * 11);
    const link = new ModbusLink({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { connectDelayMs: 0, reconnectMinMs: 100, reconnectMaxMs: 100, connectTimeoutMs: 1000, log: silentLogger });
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => link.read(1, 'holding', i, 1, { ...timing, timeoutMs: 1000 })));
      expect(results.map((r) => r.data[0])).toEqual(Array.from({ length: 10 }, (_, i) => i * 11));
      expect(sim.connections).toBe(1);
      expect(sim.maxOutstanding).toBe(1);
    } finally {
      await link.close();
      await sim.stop();
    }
  });

  it('keeps no reply once its request has finished (modbus-serial would hold the last 256 per connection)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const sim = new RegisterServer();
    await sim.start();
    const link = new ModbusLink({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { connectDelayMs: 0, reconnectMinMs: 100, reconnectMaxMs: 100, connectTimeoutMs: 1000, log: silentLogger });
    try {
      const first = new WeakRef((await link.read(1, 'holding', 0, 100, timing)).data);
      for (let i = 0; i < 20; i++) await link.read(1, 'holding', 0, 100, timing);
      await sleep(10);
      gc();
      await sleep(10);
      gc();
      expect(first.deref()).toBeUndefined();
    } finally {
      await link.close();
      await sim.stop();
    }
  });
});
