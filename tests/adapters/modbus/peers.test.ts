import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { modbusRtuDeviceSchema, modbusTcpDeviceSchema } from '../../../adapters/modbus/config.js';
import { ModbusDeviceAdapter } from '../../../adapters/modbus/poller.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { RtuSerialServer } from '../../../simulators/modbus/serial-server.js';
import { VirtualSerialPair } from '../../../simulators/modbus/virtual-serial.js';
import { ServerProcess, freePort, tempDir } from '../../helpers/server-process.js';
import { RecordingContext } from './helpers.js';

/**
 * The adapter and the simulator checked against Modbus implementations they share no code with:
 * pymodbus (Debian python3-pymodbus) as slave, mbpoll (Debian mbpoll) as master.
 */
const PYTHON = '/usr/bin/python3';
const SLAVE_SCRIPT = fileURLToPath(new URL('./peers/pymodbus_slave.py', import.meta.url));
const run = promisify(execFile);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

// The points pymodbus_slave.py serves (see its docstring).
const PEER_POINTS = [
  { id: 'f_abcd', name: 'float ABCD', table: 'holding', address: 0, dataType: 'float32' },
  { id: 'f_cdab', name: 'float CDAB', table: 'holding', address: 2, dataType: 'float32', wordOrder: 'CDAB' },
  { id: 'i16', name: 'int16', table: 'holding', address: 4, dataType: 'int16' },
  { id: 'u32', name: 'uint32', table: 'holding', address: 5, dataType: 'uint32' },
  { id: 'bit3', name: 'bit 3', address: '40008.3' },
  { id: 'bit2', name: 'bit 2', address: '40008.2' },
  { id: 'i64', name: 'int64', table: 'holding', address: 10, dataType: 'int64' },
  { id: 'missing', name: 'not served', table: 'holding', address: 16 },
  { id: 'co', name: 'CO', table: 'input', address: 0, scale: { rawLow: 6400, rawHigh: 32000, engLow: 0, engHigh: 1000, namur: true } },
  { id: 'di0', name: 'di0', table: 'discrete', address: 0 },
  { id: 'di1', name: 'di1', table: 'discrete', address: 1 },
  { id: 'co1', name: 'coil1', table: 'coil', address: 1 },
];

async function expectPeerValues(ctx: RecordingContext): Promise<void> {
  await ctx.until('co1', (r) => r.quality === 'Good');
  await ctx.until('missing', (r) => r.quality === 'BadConfigurationError');
  const v = (id: string) => ctx.latest(id)!;
  expect(v('f_abcd')).toMatchObject({ value: 10, quality: 'Good' });
  expect(v('f_cdab')).toMatchObject({ value: -2.5, quality: 'Good' });
  expect(v('i16')).toMatchObject({ value: -300, quality: 'Good' });
  expect(v('u32')).toMatchObject({ value: 0x12345678, quality: 'Good' });
  expect(v('bit3')).toMatchObject({ value: true, quality: 'Good' });
  expect(v('bit2')).toMatchObject({ value: false, quality: 'Good' });
  expect(v('i64')).toMatchObject({ value: -2, quality: 'Good' });
  expect(v('co')).toMatchObject({ value: 500, quality: 'Good' });
  expect(v('di0')).toMatchObject({ value: true, quality: 'Good' });
  expect(v('di1')).toMatchObject({ value: false, quality: 'Good' });
  expect(v('co1')).toMatchObject({ value: true, quality: 'Good' });
  // pymodbus rejected the merged request reaching past its block; the adapter found the one address.
  expect(v('missing').reason).toContain('exception 2');
}

describe('adapter against pymodbus', () => {
  it('reads a pymodbus TCP slave', async () => {
    const port = await freePort();
    const dir = tempDir('pymodbus-');
    const slave = new ServerProcess('pymodbus', PYTHON, [SLAVE_SCRIPT, 'tcp', String(port)], () => canConnect(port), dir);
    await slave.start();
    cleanups.push(() => slave.dispose());
    const ctx = new RecordingContext();
    const a = new ModbusDeviceAdapter(modbusTcpDeviceSchema.parse({ type: 'modbus-tcp', id: 'py', host: '127.0.0.1', port, pollInterval: '200ms', points: PEER_POINTS }), ctx);
    cleanups.push(() => a.stop());
    await a.start();
    await expectPeerValues(ctx);
    expect(a.stats().isolated).toEqual(['missing']);
  });

  it('reads a pymodbus RTU slave over a virtual serial line', async () => {
    const pair = new VirtualSerialPair();
    await pair.start();
    cleanups.push(() => pair.stop());
    const slave = new ServerProcess('pymodbus-rtu', PYTHON, [SLAVE_SCRIPT, 'rtu', pair.b, '19200'], async () => true, pair.dir);
    await slave.start();
    cleanups.push(() => slave.stop());
    const ctx = new RecordingContext();
    const a = new ModbusDeviceAdapter(
      modbusRtuDeviceSchema.parse({ type: 'modbus-rtu', id: 'pyrtu', serialPort: pair.a, baudRate: 19200, pollInterval: '300ms', timeout: '500ms', points: PEER_POINTS }),
      ctx,
    );
    cleanups.push(() => a.stop());
    await a.start();
    await expectPeerValues(ctx);
  });
});

describe('simulator against mbpoll', () => {
  function fill(bank: ReturnType<RegisterServer['bank']>): void {
    bank.write('holding', 0, 12.5, 'float32', 'ABCD');
    bank.write('holding', 2, -1234, 'int16');
    bank.write('input', 4, 4321);
    bank.write('discrete', 0, true);
  }

  /** mbpoll prints "[ref]: \tvalue" lines. */
  const values = (out: string) => Object.fromEntries([...out.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => [Number(m[1]), m[2]!]));

  it('answers mbpoll over Modbus TCP, including exceptions', async () => {
    const sim = new RegisterServer();
    await sim.start();
    cleanups.push(() => sim.stop());
    fill(sim.bank(1));
    sim.exceptionAt('holding', 99, 2);
    const host = ['-1', '-p', String(sim.port), '127.0.0.1'];
    expect(values((await run('mbpoll', ['-t', '4:float', '-B', '-r', '1', '-c', '1', ...host])).stdout)).toEqual({ 1: '12.5' });
    // mbpoll prints a 16-bit register unsigned, then signed in brackets.
    expect((await run('mbpoll', ['-t', '4', '-r', '3', ...host])).stdout).toMatch(/^\[3\]:\s+64302 \(-1234\)/m);
    expect(values((await run('mbpoll', ['-t', '3', '-r', '5', ...host])).stdout)).toEqual({ 5: '4321' });
    expect(values((await run('mbpoll', ['-t', '1', '-r', '1', '-c', '2', ...host])).stdout)).toEqual({ 1: '1', 2: '0' });
    const failed = await run('mbpoll', ['-t', '4', '-r', '100', ...host]).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    expect(failed).toMatch(/Illegal data address/i);
  });

  it('answers mbpoll over RTU on a virtual serial line', async () => {
    const pair = new VirtualSerialPair();
    await pair.start();
    cleanups.push(() => pair.stop());
    const slave = new RtuSerialServer({ path: pair.b, baudRate: 19200, unitIds: [7] });
    await slave.start();
    cleanups.push(() => slave.stop());
    fill(slave.bank(7));
    const line = ['-1', '-m', 'rtu', '-b', '19200', '-P', 'none', '-a', '7'];
    expect(values((await run('mbpoll', [...line, '-t', '4:float', '-B', '-r', '1', pair.a])).stdout)).toEqual({ 1: '12.5' });
    expect(values((await run('mbpoll', [...line, '-t', '1', '-r', '1', '-c', '2', pair.a])).stdout)).toEqual({ 1: '1', 2: '0' });
  });
});
