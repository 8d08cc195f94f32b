import { afterEach, describe, expect, it } from 'vitest';
import { modbusTcpDeviceSchema } from '../../../adapters/modbus/config.js';
import { ModbusDeviceAdapter } from '../../../adapters/modbus/poller.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { RecordingContext } from './helpers.js';
import { waitFor } from '../../helpers/server-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<RegisterServer> {
  const s = new RegisterServer();
  await s.start();
  cleanups.push(() => s.stop());
  return s;
}

function adapter(device: Record<string, unknown>, ctx: RecordingContext): ModbusDeviceAdapter {
  const a = new ModbusDeviceAdapter(modbusTcpDeviceSchema.parse({ type: 'modbus-tcp', host: '127.0.0.1', pollInterval: '100ms', ...device }), ctx);
  cleanups.push(() => a.stop());
  return a;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const regs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, name: `r${i}`, table: 'holding', address: i }));

describe('Modbus faults', () => {
  it('an exception makes only the affected point Bad, and the split is remembered', async () => {
    const sim = await server();
    for (let i = 0; i < 8; i++) sim.bank(1).write('holding', i, 100 + i);
    sim.exceptionAt('holding', 5, 2);
    const ctx = new RecordingContext();
    // The simulator's request count at each r0 reading: one mark per poll, always at the same phase.
    const marks: number[] = [];
    const record = ctx.publish;
    ctx.publish = (r) => {
      if (r.point === 'r0') marks.push(sim.totalRequests());
      record(r);
    };
    const a = adapter({ id: 'dev', port: sim.port, points: regs(8) }, ctx);
    await a.start();
    const bad = await ctx.until('r5', (r) => r.quality !== 'Good' && r.reason !== undefined);
    expect(bad.quality).toBe('BadConfigurationError');
    expect(bad.value).toBeNull();
    expect(bad.reason).toContain('exception 2');
    await ctx.until('dev.comm_ok', (r) => r.value === true); // published at the end of that poll
    // The neighbours of the bad register were read in the same cycle, Good.
    for (const id of ['r0', 'r4', 'r6', 'r7']) expect(ctx.latest(id)).toMatchObject({ quality: 'Good', value: 100 + Number(id.slice(1)) });
    expect(a.stats().isolated).toEqual(['r5']);
    // Once learnt, a poll costs a fixed number of requests (no splitting again): r0–4, r5 alone, r6–7.
    const from = marks.length;
    await waitFor(() => marks.length >= from + 5, 5000, 'five more polls');
    expect((marks[from + 4]! - marks[from]!) / 4).toBe(3);
    expect(ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'exception' })).toBeGreaterThan(0);
    // The register comes back (device reconfigured): the isolated point reads Good again.
    sim.clearExceptions();
    await ctx.until('r5', (r) => r.quality === 'Good' && r.value === 105);
    await ctx.until('dev.comm_ok', (r) => r.value === true);
  });

  it('learns a hole between points and stops merging across it', async () => {
    const sim = await server();
    for (const i of [0, 1, 2, 3, 6, 7]) sim.bank(1).write('holding', i, 200 + i);
    sim.exceptionAt('holding', 4, 2); // registers 4–5 do not exist on this device
    sim.exceptionAt('holding', 5, 2);
    const ctx = new RecordingContext();
    const points = [0, 1, 2, 3, 6, 7].map((i) => ({ id: `h${i}`, name: `h${i}`, table: 'holding', address: i }));
    const a = adapter({ id: 'dev', port: sim.port, maxGap: 8, points }, ctx);
    await a.start();
    await ctx.until('dev.comm_ok', (r) => r.value === true);
    // No point was ever Bad: the split happened within the first poll.
    expect(ctx.readings.filter((r) => r.point.startsWith('h')).every((r) => r.quality === 'Good')).toBe(true);
    for (const i of [0, 1, 2, 3, 6, 7]) expect(ctx.latest(`h${i}`)!.value).toBe(200 + i);
    expect(a.stats().isolated).toEqual([]);
    // Learnt plan: 0–3 and 6–7, two requests per poll.
    const before = sim.totalRequests();
    const polls = ctx.readings.filter((r) => r.point === 'h0').length;
    await waitFor(() => ctx.readings.filter((r) => r.point === 'h0').length >= polls + 4, 5000, 'four more polls');
    const after = sim.totalRequests();
    const pollsDone = ctx.readings.filter((r) => r.point === 'h0').length - polls;
    expect(after - before).toBeGreaterThanOrEqual(2 * (pollsDone - 1));
    expect(after - before).toBeLessThanOrEqual(2 * (pollsDone + 1));
  });

  it('a device failure exception marks the request Bad with the code and keeps the link up', async () => {
    const sim = await server();
    sim.exceptionAt('holding', 0, 4);
    const ctx = new RecordingContext();
    const a = adapter({ id: 'dev', port: sim.port, points: regs(2) }, ctx);
    await a.start();
    const r = await ctx.until('r1', (x) => x.quality === 'BadDeviceFailure');
    expect(r.reason).toContain('exception 4');
    // The device answered: communication itself is fine.
    await ctx.until('dev.comm_ok', (x) => x.value === true);
    expect(a.stats().isolated).toEqual([]);
  });

  it('a device that stops answering gives BadTimeout, then recovers over a new connection', async () => {
    const sim = await server();
    sim.bank(1).write('holding', 0, 7);
    const ctx = new RecordingContext();
    const a = adapter({ id: 'dev', port: sim.port, timeout: '200ms', reconnectMin: '100ms', reconnectMax: '200ms', points: regs(1) }, ctx);
    await a.start();
    await ctx.until('r0', (r) => r.quality === 'Good');
    sim.hang = true;
    const r = await ctx.until('r0', (x) => x.quality === 'BadTimeout');
    expect(r.reason).toContain('timeout');
    await ctx.until('dev.comm_ok', (x) => x.value === false);
    await waitFor(() => a.stats().errors.timeout >= 2, 5000, 'a second unanswered request');
    sim.hang = false;
    sim.bank(1).write('holding', 0, 8);
    await ctx.until('r0', (x) => x.quality === 'Good' && x.value === 8, 8000);
    expect(ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'timeout' })).toBeGreaterThan(0);
    // Two unanswered requests in a row on TCP mean a half-open connection: it was replaced.
    expect(a.stats().reconnects).toBeGreaterThan(0);
  });

  it('a dead slave behind a Modbus TCP gateway does not cost the live slave its connection', async () => {
    const gw = new RegisterServer({ unitIds: [1] });
    await gw.start();
    cleanups.push(() => gw.stop());
    gw.bank(1).write('holding', 0, 11);
    const ctx = new RecordingContext();
    const a = adapter({ id: 'gw', port: gw.port, timeout: '100ms', reconnectMin: '2s', reconnectMax: '4s', points: [
      { id: 'live', name: 'live', table: 'holding', address: 0 },
      { id: 'dead_a', name: 'dead', table: 'holding', address: 0, unitId: 2 },
      { id: 'dead_b', name: 'dead', table: 'input', address: 0, unitId: 2 },
    ] }, ctx);
    await a.start();
    await ctx.until('live', (r) => r.quality === 'Good');
    await ctx.until('dead_b', (r) => r.quality === 'BadTimeout');
    await ctx.until('gw.comm_ok', (r) => r.value === false);
    await sleep(600);
    // The live slave never went Bad and the connection was never replaced.
    expect(ctx.readings.filter((r) => r.point === 'live').every((r) => r.quality === 'Good')).toBe(true);
    expect(a.stats().reconnects).toBe(0);
    // Unit 2 is now only probed at its backoff interval (2 s), not every 100 ms.
    expect(gw.requests.get(2)).toBeLessThanOrEqual(3);
  });

  it('a dropped connection is re-established and counted', async () => {
    const sim = await server();
    sim.bank(1).write('holding', 0, 1);
    const ctx = new RecordingContext();
    const a = adapter({ id: 'dev', port: sim.port, reconnectMin: '50ms', points: regs(1) }, ctx);
    await a.start();
    await ctx.until('r0', (r) => r.quality === 'Good');
    sim.dropConnections();
    sim.bank(1).write('holding', 0, 2);
    await ctx.until('r0', (x) => x.quality === 'Good' && x.value === 2);
    expect(a.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'comm' })).toBeGreaterThanOrEqual(1);
  });

  it('a slow device overruns its own polls without delaying another device', async () => {
    const slow = await server();
    const fast = await server();
    slow.setReplyDelay(350);
    const ctx = new RecordingContext();
    const s = adapter({ id: 'slow', port: slow.port, timeout: '2s', points: regs(1) }, ctx);
    const f = adapter({ id: 'fast', port: fast.port, points: regs(1) }, ctx);
    await s.start();
    await f.start();
    await ctx.until('r0', (r) => r.quality === 'Good');
    ctx.clear();
    await sleep(1500);
    // The slow device answers every 350 ms: its 100 ms polls overrun and are skipped, not queued.
    expect(s.stats().overruns).toBeGreaterThan(5);
    expect(ctx.metrics.counter('modbus_poll_overruns', { device: 'slow' })).toBe(s.stats().overruns);
    expect(slow.totalRequests()).toBeLessThan(10);
    // The fast device kept its 100 ms cadence.
    expect(fast.totalRequests()).toBeGreaterThanOrEqual(10);
    // (An event-loop stall on a loaded test machine may cost it a tick; the slow device costs it none.)
    expect(f.stats().overruns).toBeLessThanOrEqual(2);
    expect(f.stats().rttMsAvg).toBeGreaterThan(0);
    expect(f.stats().lastGoodPollAt).toBeGreaterThan(0);
  });

  it('retries a lost reply before declaring the point Bad', async () => {
    const sim = await server();
    sim.bank(1).write('holding', 0, 5);
    const ctx = new RecordingContext();
    const a = adapter({ id: 'dev', port: sim.port, pollInterval: '1s', timeout: '150ms', retries: 2, points: regs(1) }, ctx);
    sim.hang = true;
    await a.start();
    await ctx.until('r0', (x) => x.quality === 'BadTimeout', 5000);
    // One poll: the request and two retries, before the Bad reading.
    expect(ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'timeout' })).toBe(3);
  });
});
