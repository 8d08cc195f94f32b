import { afterEach, describe, expect, it } from 'vitest';
import { createAdapter } from '../../../adapters/modbus/tcp-adapter.js';
import { modbusTcpDeviceSchema } from '../../../adapters/modbus/config.js';
import type { Adapter } from '../../../adapters/types.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { DemoPlantSimulator } from '../../../simulators/modbus/demo-plant.js';
import { isBad } from '../../../gateway/core/quality.js';
import { RecordingContext } from './helpers.js';

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

function adapter(device: unknown, ctx: RecordingContext): Adapter {
  const a = createAdapter(modbusTcpDeviceSchema.parse(device), ctx);
  cleanups.push(() => a.stop());
  return a;
}

describe('Modbus TCP adapter against the simulator', () => {
  it('delivers every data type, scaled, with Good quality', async () => {
    const sim = await server();
    const b = sim.bank(1);
    b.write('holding', 0, 19200); // 12 mA on a 6400–32000 count range → 500 ppm
    b.write('holding', 10, 87.5, 'float32', 'CDAB');
    b.write('input', 0, -123, 'int16');
    b.write('input', 20, 4_000_000_000, 'uint32', 'DCBA');
    b.write('holding', 30, -9_007_199_254_740_991n, 'int64', 'CDAB');
    b.write('holding', 40, Math.PI, 'float64', 'BADC');
    b.writeBit('holding', 50, 3, true);
    b.write('discrete', 0, true);
    b.write('coil', 7, true);
    b.write('holding', 99, 253); // read with 1-based notation "40100", factor scaling
    const ctx = new RecordingContext();
    const a = adapter(
      {
        type: 'modbus-tcp', id: 'plc1', host: '127.0.0.1', port: sim.port, pollInterval: '100ms',
        points: [
          { id: 'co', name: '一氧化碳', unit: 'ppm', table: 'holding', address: 0, scale: { rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000, namur: true } },
          { id: 'temp', name: '灰斗温度', table: 'holding', address: 10, dataType: 'float32', wordOrder: 'CDAB' },
          { id: 'dp', name: '压差', table: 'input', address: 0, dataType: 'int16' },
          { id: 'count', name: '计数', table: 'input', address: 20, dataType: 'uint32', wordOrder: 'DCBA' },
          { id: 'big', name: '累计', table: 'holding', address: 30, dataType: 'int64', wordOrder: 'GHEFCDAB' },
          { id: 'pi', name: 'pi', table: 'holding', address: 40, dataType: 'float64', wordOrder: 'BADCFEHG' },
          { id: 'flag', name: '状态字位3', address: '40051.3' },
          { id: 'airlock', name: '锁气卸灰故障', table: 'discrete', address: 0 },
          { id: 'fan', name: '风机运行', table: 'coil', address: 7 },
          { id: 'tenths', name: '温度', address: '40100', scale: { factor: 0.1 } },
        ],
      },
      ctx,
    );
    await a.start();
    await ctx.until('tenths', (r) => r.quality === 'Good');
    await ctx.until('co', (r) => r.quality === 'Good');
    const v = (id: string) => ctx.latest(id)!;
    expect(v('co').value).toBe(500);
    expect(v('temp').value).toBe(87.5);
    expect(v('dp').value).toBe(-123);
    expect(v('count').value).toBe(4_000_000_000);
    expect(v('big').value).toBe(-9_007_199_254_740_991);
    expect(v('pi').value).toBe(Math.PI);
    expect(v('flag').value).toBe(true);
    expect(v('airlock').value).toBe(true);
    expect(v('fan').value).toBe(true);
    expect(v('tenths').value).toBeCloseTo(25.3, 10);
    for (const id of ['co', 'temp', 'dp', 'count', 'big', 'pi', 'flag', 'airlock', 'fan', 'tenths']) expect(v(id).quality).toBe('Good');
    await ctx.until('plc1.comm_ok', (r) => r.value === true && r.quality === 'Good');
    // A changed register shows up on a later poll.
    b.write('holding', 0, 32000);
    await ctx.until('co', (r) => r.value === 1000);
  });

  it('turns points Bad when the device goes away and Good again when it comes back on the same port', async () => {
    const sim = await server();
    sim.bank(1).write('holding', 5, 42);
    const ctx = new RecordingContext();
    const a = adapter(
      { type: 'modbus-tcp', id: 'dev', host: '127.0.0.1', port: sim.port, pollInterval: '100ms', timeout: '300ms', reconnectMin: '100ms', reconnectMax: '400ms', points: [{ id: 'p', name: 'P', table: 'holding', address: 5 }] },
      ctx,
    );
    await a.start();
    await ctx.until('p', (r) => r.quality === 'Good' && r.value === 42);

    await sim.stop();
    const bad = await ctx.until('p', (r) => isBad(r.quality));
    expect(bad.value).toBeNull();
    expect(['BadCommunicationError', 'BadTimeout']).toContain(bad.quality);
    expect(bad.reason).toBeTruthy();
    await ctx.until('dev.comm_ok', (r) => r.value === false && r.quality === 'Good');

    sim.bank(1).write('holding', 5, 43);
    await sim.start();
    await ctx.until('p', (r) => r.quality === 'Good' && r.value === 43, 8000);
    await ctx.until('dev.comm_ok', (r) => r.value === true);
    expect(ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'connect' }) + ctx.metrics.counter('modbus_errors', { device: 'dev', kind: 'comm' })).toBeGreaterThan(0);
    expect(ctx.metrics.gauge('modbus_last_good_poll_timestamp_seconds', { device: 'dev' })).toBeGreaterThan(0);
  });

  it('reads the demo plant as the demo config expects it', async () => {
    const plant = new DemoPlantSimulator({ tickMs: 50 });
    await plant.start();
    cleanups.push(() => plant.stop());
    plant.set('booster.co', 160);
    plant.set('dc1.hopper_temp', 91.5);
    plant.set('dc1.airlock_fault', true);
    const ctx = new RecordingContext();
    const a = adapter(
      {
        type: 'modbus-tcp', id: 'demo', host: '127.0.0.1', port: plant.port, pollInterval: '100ms',
        points: [
          { id: 'booster.co', name: '加压机房CO', unit: 'ppm', table: 'holding', address: 0, scale: { rawLow: 0, rawHigh: 10000, engLow: 0, engHigh: 1000 } },
          { id: 'dc1.hopper_temp', name: '灰斗温度', table: 'holding', address: 10, dataType: 'float32', wordOrder: 'CDAB' },
          { id: 'dc1.airlock_fault', name: '锁气卸灰故障', table: 'discrete', address: 0 },
        ],
      },
      ctx,
    );
    await a.start();
    await ctx.until('booster.co', (r) => r.value === 160);
    await ctx.until('dc1.hopper_temp', (r) => typeof r.value === 'number' && Math.abs(r.value - 91.5) < 1e-4);
    await ctx.until('dc1.airlock_fault', (r) => r.value === true);
  });
});
