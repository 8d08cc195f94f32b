import { describe, expect, it } from 'vitest';
import { modbusRtuDeviceSchema, modbusTcpDeviceSchema, defaultInterFrameDelayMs } from '../../../adapters/modbus/config.js';
import { formatReference, parseAddressNotation } from '../../../adapters/modbus/address.js';
import { diagnosticPoints } from '../../../adapters/modbus/diagnostics.js';
import { ADAPTERS } from '../../../adapters/registry.js';

const device = (points: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'modbus-tcp', id: 'd', host: '127.0.0.1', points, ...extra });
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('Modbus address notation', () => {
  it('reads 5- and 6-digit references, with x and with a bit', () => {
    expect(parseAddressNotation('40001')).toEqual({ table: 'holding', address: 0 });
    expect(parseAddressNotation('400001')).toEqual({ table: 'holding', address: 0 });
    expect(parseAddressNotation('465536')).toEqual({ table: 'holding', address: 65535 });
    expect(parseAddressNotation('4x0010')).toEqual({ table: 'holding', address: 9 });
    expect(parseAddressNotation('30001')).toEqual({ table: 'input', address: 0 });
    expect(parseAddressNotation('10005')).toEqual({ table: 'discrete', address: 4 });
    expect(parseAddressNotation('00003')).toEqual({ table: 'coil', address: 2 });
    expect(parseAddressNotation('40051.15')).toEqual({ table: 'holding', address: 50, bit: 15 });
    expect(formatReference('input', 9)).toBe('300010');
  });

  it('rejects what is not a reference, with a reason', () => {
    for (const bad of ['20001', '40000', '4000', '40001.16', '10001.2', 'abc', '470000']) expect(parseAddressNotation(bad)).toHaveProperty('error');
  });
});

describe('Modbus point and device schema', () => {
  it('defaults the type from the table and normalises 64-bit order names', () => {
    const d = modbusTcpDeviceSchema.parse(device([
      { id: 'a', name: 'A', table: 'holding', address: 3 },
      { id: 'b', name: 'B', table: 'coil', address: 3 },
      { id: 'c', name: 'C', table: 'holding', address: 10, dataType: 'float64', wordOrder: 'HGFEDCBA' },
      { id: 'e', name: 'E', table: 'input', address: 1, bit: 4 },
    ]));
    expect(d.points.map((p) => [p.dataType, p.wordOrder])).toEqual([['uint16', 'ABCD'], ['bool', 'ABCD'], ['float64', 'DCBA'], ['bool', 'ABCD']]);
    expect(d.port).toBe(502);
    expect(d.maxRegistersPerRequest).toBe(125);
    expect(d.maxBitsPerRequest).toBe(2000);
  });

  it('shifts 1-based addresses but never reference notation', () => {
    const d = modbusTcpDeviceSchema.parse(device([
      { id: 'a', name: 'A', table: 'holding', address: 1 },
      { id: 'b', name: 'B', address: '40001' },
    ], { addressBase: 1 }));
    expect(d.points.map((p) => p.address)).toEqual([0, 0]);
  });

  it('names the bad field', () => {
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', address: 3 }])))).toEqual(['points.0.table: table is required (coil, discrete, input or holding) unless address is a reference such as "40001"']);
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'input', address: '40001' }]))).join()).toContain('points.0.table');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'coil', address: 1, dataType: 'int16' }]))).join()).toContain('points.0.dataType');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 1, dataType: 'bool' }]))).join()).toContain('points.0.bit');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 0 }], { addressBase: 1 }))).join()).toContain('points.0.address: addressBase is 1');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 65535, dataType: 'float32' }]))).join()).toContain('points.0.address');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 0, dataType: 'float64' }], { maxRegistersPerRequest: 2 }))).join()).toContain('points.0.dataType');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 0, wordOrder: 'ACBD' }]))).join()).toContain('points.0.wordOrder');
    expect(issues(modbusTcpDeviceSchema.safeParse(device([{ id: 'a', name: 'A', table: 'holding', address: 0, adress: 1 }]))).join()).toContain('adress');
  });

  it('accepts an RTU device with the line settings and computes the 3.5-character gap', () => {
    const d = modbusRtuDeviceSchema.parse({ type: 'modbus-rtu', id: 'r', serialPort: '/dev/ttyUSB0', baudRate: 19200, parity: 'even', points: [{ id: 'x', name: 'X', address: '30001' }] });
    expect(d.dataBits).toBe(8);
    expect(d.turnaroundDelay).toBe(50);
    expect(defaultInterFrameDelayMs(9600)).toBeCloseTo(4.01, 2);
    const broadcast = modbusRtuDeviceSchema.safeParse({ type: 'modbus-rtu', id: 'r', serialPort: '/dev/ttyUSB0', points: [{ id: 'x', name: 'X', address: '30001', unitId: 0 }] });
    expect(issues(broadcast).join()).toContain('points.0.unitId: an RTU unit id is 1…247');
    expect(defaultInterFrameDelayMs(115200)).toBe(1.75);
  });

  it('registers the three Modbus device types', () => {
    expect(ADAPTERS.map((a) => a.type)).toEqual(expect.arrayContaining(['modbus-tcp', 'modbus-rtu', 'modbus-rtu-over-tcp']));
  });

  it('describes the comm_ok diagnostic point', () => {
    const [p] = diagnosticPoints({ id: 'gd1', name: '1#气体报警控制器', points: [{ area: 'booster' }] });
    expect(p).toMatchObject({ id: 'gd1.comm_ok', area: 'booster', unit: '' });
    expect(p!.name).toContain('通讯');
  });
});
