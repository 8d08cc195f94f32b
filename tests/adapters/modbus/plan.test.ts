import { describe, expect, it, vi } from 'vitest';
import planCommand from '../../../gateway/cli/commands/plan.js';
import { execFileSync } from 'node:child_process';
import { modbusTcpDeviceSchema } from '../../../adapters/modbus/config.js';
import { planDevice, planReads, planOptionsFor } from '../../../adapters/modbus/plan.js';

const device = (points: unknown[], extra: Record<string, unknown> = {}) =>
  modbusTcpDeviceSchema.parse({ type: 'modbus-tcp', id: 'd', host: '127.0.0.1', points, ...extra });
const reg = (id: string, address: number, extra: Record<string, unknown> = {}) => ({ id, name: id, table: 'holding', address, ...extra });
const summary = (blocks: { unitId: number; table: string; start: number; count: number }[]) => blocks.map((b) => `${b.unitId}:${b.table}:${b.start}+${b.count}`);

describe('request planner', () => {
  it('merges contiguous and near-contiguous registers, within the gap', () => {
    const d = device([reg('a', 0), reg('b', 1), reg('c', 2, { dataType: 'float32' }), reg('d', 12), reg('e', 30)], { maxGap: 8 });
    // a..c contiguous (0–3); d is 8 spare registers after c: merged; e is 17 after d: separate.
    expect(summary(planDevice(d)[0]!.blocks)).toEqual(['1:holding:0+13', '1:holding:30+1']);
    expect(summary(planDevice(device([reg('a', 0), reg('b', 2)], { maxGap: 0 }))[0]!.blocks)).toEqual(['1:holding:0+1', '1:holding:2+1']);
  });

  it('respects the per-device maximum and never splits a multi-register value', () => {
    const pts = Array.from({ length: 100 }, (_, i) => reg(`p${i}`, i * 2, { dataType: 'float32' }));
    const blocks = planDevice(device(pts))[0]!.blocks;
    expect(summary(blocks)).toEqual(['1:holding:0+124', '1:holding:124+76']);
    const small = planDevice(device(pts.slice(0, 5), { maxRegistersPerRequest: 3 }))[0]!.blocks;
    expect(small.every((b) => b.count <= 3)).toBe(true);
    expect(small.flatMap((b) => b.points.map((p) => p.id))).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('reads bits up to 2000 per request and shares a register between its bit points', () => {
    const coils = Array.from({ length: 2500 }, (_, i) => ({ id: `c${i}`, name: 'c', table: 'coil', address: i }));
    expect(summary(planDevice(device(coils))[0]!.blocks)).toEqual(['1:coil:0+2000', '1:coil:2000+500']);
    const bits = planDevice(device([{ id: 'b0', name: 'b', address: '40011.0' }, { id: 'b5', name: 'b', address: '40011.5' }, reg('w', 10)]))[0]!.blocks;
    expect(summary(bits)).toEqual(['1:holding:10+1']);
    expect(bits[0]!.points).toHaveLength(3);
  });

  it('plans per unit id and table, and per poll group', () => {
    const d = device([
      reg('a', 0), reg('b', 1, { unitId: 2 }), { id: 'i', name: 'i', table: 'input', address: 0 }, reg('slow', 5, { pollInterval: '1m' }),
    ], { pollInterval: '1s' });
    const groups = planDevice(d);
    expect(groups.map((g) => g.intervalMs)).toEqual([1000, 60_000]);
    expect(summary(groups[0]!.blocks)).toEqual(['1:input:0+1', '1:holding:0+1', '2:holding:1+1']);
    expect(summary(groups[1]!.blocks)).toEqual(['1:holding:5+1']);
  });

  it('gives every point its own request when the device needs it', () => {
    const d = device([reg('a', 0), reg('b', 1)], { onePointPerRequest: true });
    expect(summary(planDevice(d)[0]!.blocks)).toEqual(['1:holding:0+1', '1:holding:1+1']);
  });

  it('keeps isolated points alone and does not merge across remembered breaks', () => {
    const d = device([reg('a', 0), reg('b', 1), reg('c', 2), reg('d', 3), reg('e', 4)]);
    const opts = planOptionsFor(d, { isolated: new Set(['c']), breaks: new Set(['e']) });
    expect(summary(planReads(d.points, opts))).toEqual(['1:holding:0+2', '1:holding:2+1', '1:holding:3+1', '1:holding:4+1']);
  });
});

describe('plan command', () => {
  it('prints the requests of the sample config without touching any device', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'gateway/cli/main.ts', 'plan', '--config', 'adapters/modbus/sample.yaml'], { encoding: 'utf8' });
    expect(out).toContain('gd1 (modbus-tcp 192.168.10.21:502): 5 points in 3 requests');
    expect(out).toContain('unit 1 FC04 read input registers 0…1 (300001…300002, 2 registers): booster.co, gasholder.co');
    expect(out).toContain('every 1m:');
    expect(out).toContain('dc1-plc (modbus-rtu /dev/ttyUSB0 9600 8N1)');
  });

  it('prints the plan as JSON', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      expect(await planCommand.run(['--config', 'adapters/modbus/sample.yaml', '--json'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const json = JSON.parse(lines.join('\n')) as { device: string; groups: { intervalMs: number; requests: { unitId: number; table: string; start: number; count: number; points: string[] }[] }[] }[];
    expect(json.map((d) => d.device)).toEqual(['gd1', 'dc2-temp', 'dc1-plc']);
    expect(json[1]!.groups[0]!.requests).toEqual([
      { unitId: 3, table: 'input', start: 0, count: 4, points: ['dc2.hopper_temp', 'dc2.inlet_temp'] },
      { unitId: 4, table: 'discrete', start: 0, count: 1, points: ['dc2.spark'] },
    ]);
  });
});
