import { describe, expect, it } from 'vitest';
import { ModbusLink, ModbusRequestError } from '../../../adapters/modbus/link.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { freePort } from '../../helpers/server-process.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';

const timing = { timeoutMs: 200, interFrameDelayMs: 0, turnaroundDelayMs: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Modbus link', () => {
  it('backs off exponentially with jitter up to the maximum, failing requests at once meanwhile', async () => {
    const port = await freePort(); // nothing listens there
    const link = new ModbusLink({ kind: 'tcp', host: '127.0.0.1', port }, { connectDelayMs: 0, reconnectMinMs: 40, reconnectMaxMs: 320, connectTimeoutMs: 1000, log: silentLogger });
    const attempts: number[] = [];
    let refusedAtOnce = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 1800) {
      try {
        await link.read(1, 'holding', 0, 1, timing);
      } catch (e) {
        const err = e as ModbusRequestError;
        if (err.kind === 'connect') attempts.push(Date.now());
        else if (err.kind === 'notConnected') refusedAtOnce++;
      }
      await sleep(5);
    }
    await link.close();
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 40, 80, 160, 320, 320 … ms, each ±20 %.
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    expect(gaps[0]!).toBeGreaterThanOrEqual(40 * 0.8 - 5);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 2);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(40 * 0.8 - 5);
    expect(gaps.slice(3).every((g) => g >= 320 * 0.8 - 5)).toBe(true);
    // Requests between attempts do not wait and send nothing.
    expect(refusedAtOnce).toBeGreaterThan(attempts.length);
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
});
