import { afterEach, describe, expect, it } from 'vitest';
import { modbusRtuDeviceSchema, modbusRtuOverTcpDeviceSchema } from '../../../adapters/modbus/config.js';
import { createAdapter as createRtuOverTcp } from '../../../adapters/modbus/rtu-over-tcp-adapter.js';
import { createAdapter as createRtu } from '../../../adapters/modbus/rtu-adapter.js';
import type { Adapter } from '../../../adapters/types.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { VirtualRtuDevice } from '../../../simulators/modbus/virtual-rtu-device.js';
import { ModbusDeviceAdapter } from '../../../adapters/modbus/poller.js';
import { RecordingContext } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function track<T extends Adapter>(a: T): T {
  cleanups.push(() => a.stop());
  return a;
}

describe('Modbus RTU over TCP (serial device server)', () => {
  it('reads several slaves over one shared connection, and a dead slave does not stall the others', async () => {
    const dtu = new RegisterServer({ framing: 'rtu', unitIds: [1, 2, 3] });
    await dtu.start();
    cleanups.push(() => dtu.stop());
    dtu.bank(1).write('holding', 0, 21.5, 'float32', 'CDAB');
    dtu.bank(2).write('input', 3, 1234);
    dtu.bank(3).write('discrete', 9, true);
    dtu.exceptionAt('holding', 50, 2, 1);
    const ctx = new RecordingContext();
    const base = { type: 'modbus-rtu-over-tcp', host: '127.0.0.1', port: dtu.port, pollInterval: '100ms', timeout: '150ms', turnaroundDelay: '20ms', reconnectMin: '1s', reconnectMax: '4s' };
    const a = track(createRtuOverTcp(modbusRtuOverTcpDeviceSchema.parse({ ...base, id: 'tempscan', unitId: 1, points: [
      { id: 't1', name: '温度', table: 'holding', address: 0, dataType: 'float32', wordOrder: 'CDAB' },
      { id: 'p2', name: '压差', table: 'input', address: 3, unitId: 2 },
      { id: 'nx1', name: '不存在', table: 'holding', address: 50 },
    ] }), ctx));
    const b = track(createRtuOverTcp(modbusRtuOverTcpDeviceSchema.parse({ ...base, id: 'spark', unitId: 3, points: [{ id: 's3', name: '火花', table: 'discrete', address: 9 }] }), ctx));
    const dead = track(createRtuOverTcp(modbusRtuOverTcpDeviceSchema.parse({ ...base, id: 'dead', unitId: 9, points: [{ id: 'x9', name: '无应答', table: 'holding', address: 0 }] }), ctx));
    await a.start();
    await b.start();
    await dead.start();
    await ctx.until('t1', (r) => r.quality === 'Good' && r.value === 21.5);
    await ctx.until('p2', (r) => r.quality === 'Good' && r.value === 1234);
    await ctx.until('s3', (r) => r.quality === 'Good' && r.value === true);
    expect((await ctx.until('nx1', (r) => r.quality === 'BadConfigurationError')).reason).toContain('exception 2');
    await ctx.until('x9', (r) => r.quality === 'BadTimeout');
    await ctx.until('dead.comm_ok', (r) => r.value === false);
    await ctx.until('tempscan.comm_ok', (r) => r.value === true);
    // Every device shares the one TCP connection to the serial device server.
    expect(dtu.connections).toBe(1);
    // Once unit 9 is known silent it is probed only at its backoff interval, so the live slaves keep
    // their 100 ms cadence instead of waiting 150 ms for it every cycle.
    await sleep(300);
    const before = { dead: dtu.requests.get(9) ?? 0, live: dtu.requests.get(3) ?? 0 };
    await sleep(1000);
    expect((dtu.requests.get(9) ?? 0) - before.dead).toBeLessThanOrEqual(2);
    expect((dtu.requests.get(3) ?? 0) - before.live).toBeGreaterThanOrEqual(7);
    // The device server drops the TCP session (DTU re-registering on the 4G network): all devices
    // on it reconnect over one new connection.
    dtu.dropConnections();
    dtu.bank(3).write('discrete', 9, false);
    await ctx.until('s3', (r) => r.quality === 'Good' && r.value === false, 8000);
    await ctx.until('t1', (r) => r.quality === 'Good');
    expect(dtu.connections).toBe(1);
  });
});

describe('late RTU replies', () => {
  it('waits out the turnaround delay so a late reply is never taken as the next answer (fails with turnaroundDelay 0)', async () => {
    const dtu = new RegisterServer({ framing: 'rtu' });
    await dtu.start();
    cleanups.push(() => dtu.stop());
    dtu.bank(1).write('holding', 0, 1111);
    dtu.bank(1).write('holding', 100, 2222);
    dtu.setReplyDelay(250);
    const ctx = new RecordingContext();
    const a = track(createRtuOverTcp(modbusRtuOverTcpDeviceSchema.parse({
      type: 'modbus-rtu-over-tcp', id: 'late', host: '127.0.0.1', port: dtu.port, pollInterval: '200ms', timeout: '150ms', turnaroundDelay: '200ms', maxGap: 0,
      points: [{ id: 'a0', name: 'a', table: 'holding', address: 0 }, { id: 'a100', name: 'b', table: 'holding', address: 100 }],
    }), ctx));
    await a.start();
    await ctx.until('a0', (r) => r.quality === 'BadTimeout');
    dtu.setReplyDelay(0);
    await ctx.until('a100', (r) => r.quality === 'Good', 8000);
    await ctx.until('a0', (r) => r.quality === 'Good', 8000);
    // Register 0's late reply must never have been read as register 100.
    expect(ctx.readings.filter((r) => r.point === 'a100' && r.quality === 'Good').every((r) => r.value === 2222)).toBe(true);
    expect(ctx.readings.filter((r) => r.point === 'a0' && r.quality === 'Good').every((r) => r.value === 1111)).toBe(true);
  });
});

describe('Modbus RTU on a serial port (socat pty pair)', () => {
  it('reads a slave through a virtual serial line, recovers when the line comes back', async () => {
    const device = new VirtualRtuDevice({ baudRate: 19200, unitIds: [5, 6] });
    await device.start();
    cleanups.push(() => device.stop());
    const slave = device.slave;
    slave.bank(5).write('holding', 10, -40, 'int16');
    slave.bank(5).write('holding', 11, 3.25, 'float32', 'ABCD');
    slave.bank(6).write('coil', 0, true);
    slave.exceptionAt('holding', 20, 2, 5);
    const ctx = new RecordingContext();
    const config = modbusRtuDeviceSchema.parse({
      type: 'modbus-rtu', id: 'plc', serialPort: device.gatewayPath, baudRate: 19200, unitId: 5, pollInterval: '100ms', timeout: '300ms', reconnectMin: '100ms', reconnectMax: '300ms',
      points: [
        { id: 'dp', name: '压差', table: 'holding', address: 10, dataType: 'int16' },
        { id: 'tf', name: '温度', table: 'holding', address: 11, dataType: 'float32' },
        { id: 'nx', name: '不存在', table: 'holding', address: 20 },
        { id: 'fan', name: '风机', table: 'coil', address: 0, unitId: 6 },
      ],
    });
    const a = track(createRtu(config, ctx)) as ModbusDeviceAdapter;
    await a.start();
    await ctx.until('dp', (r) => r.quality === 'Good' && r.value === -40);
    await ctx.until('tf', (r) => r.quality === 'Good' && r.value === 3.25);
    await ctx.until('fan', (r) => r.quality === 'Good' && r.value === true);
    const nx = await ctx.until('nx', (r) => r.quality === 'BadConfigurationError');
    expect(nx.reason).toContain('exception 2');
    await ctx.until('plc.comm_ok', (r) => r.value === true);

    // The slave goes quiet (RS-485 cable pulled): timeouts, comm_ok false; the port itself stays open.
    slave.setSilent(5);
    await ctx.until('dp', (r) => r.quality === 'BadTimeout');
    await ctx.until('plc.comm_ok', (r) => r.value === false);
    slave.setSilent(5, false);
    slave.bank(5).write('holding', 10, -41, 'int16');
    await ctx.until('dp', (r) => r.quality === 'Good' && r.value === -41, 8000);
    await ctx.until('plc.comm_ok', (r) => r.value === true);
  });
});
