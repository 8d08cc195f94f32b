import { pointWidth, type ModbusDevice, type ModbusPoint, type ModbusTable } from './config.js';
import { formatReference } from './address.js';

/** One read request and the points it serves. */
export interface ReadBlock {
  unitId: number;
  table: ModbusTable;
  start: number;
  count: number;
  points: ModbusPoint[];
}

export interface PlanOptions {
  maxRegisters: number;
  maxBits: number;
  /** Unused registers a merged request may span; reading a few spare registers beats a second round trip. */
  maxGap: number;
  /** Unused bits a merged coil / discrete-input request may span (default: maxGap). */
  maxBitGap?: number;
  /** Unit id of points that do not name one. */
  unitId?: number;
  /** Every point gets its own request. */
  onePointPerRequest?: boolean;
  /** Point ids the device rejected inside a merged request: read alone, and nothing merges across them. */
  isolated?: ReadonlySet<string>;
  /** Point ids that must start a new request (a merged request across them failed). */
  breaks?: ReadonlySet<string>;
}

const TABLES: readonly ModbusTable[] = ['coil', 'discrete', 'input', 'holding'];

/** Groups points per unit id and table into the fewest requests within the size and gap limits. */
export function planReads(points: readonly ModbusPoint[], opts: PlanOptions): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const defaultUnit = opts.unitId ?? 1;
  const units = [...new Set(points.map((p) => p.unitId ?? defaultUnit))].sort((a, b) => a - b);
  for (const unitId of units) {
    for (const table of TABLES) {
      const sorted = points
        .filter((p) => (p.unitId ?? defaultUnit) === unitId && p.table === table)
        .sort((a, b) => a.address - b.address || pointWidth(b) - pointWidth(a));
      const bits = table === 'coil' || table === 'discrete';
      const max = bits ? opts.maxBits : opts.maxRegisters;
      const gap = bits ? (opts.maxBitGap ?? opts.maxGap) : opts.maxGap;
      let current: ReadBlock | undefined;
      let closeCurrent = false;
      for (const p of sorted) {
        const end = p.address + pointWidth(p);
        const isolated = opts.isolated?.has(p.id) ?? false;
        const mergeable =
          current !== undefined &&
          !closeCurrent &&
          !opts.onePointPerRequest &&
          !isolated &&
          !(opts.breaks?.has(p.id) ?? false) &&
          p.address - (current.start + current.count) <= gap &&
          Math.max(end, current.start + current.count) - current.start <= max;
        if (mergeable && current) {
          current.count = Math.max(current.count, end - current.start);
          current.points.push(p);
        } else {
          current = { unitId, table, start: p.address, count: pointWidth(p), points: [p] };
          blocks.push(current);
        }
        closeCurrent = isolated;
      }
    }
  }
  return blocks;
}

/** Points that share a poll interval, and the requests that read them. */
export interface PollGroupPlan {
  intervalMs: number;
  points: ModbusPoint[];
  blocks: ReadBlock[];
}

export interface PlanMemory {
  isolated: ReadonlySet<string>;
  breaks: ReadonlySet<string>;
}

export function planOptionsFor(device: ModbusDevice, memory?: PlanMemory): PlanOptions {
  return {
    maxRegisters: device.maxRegistersPerRequest,
    maxBits: device.maxBitsPerRequest,
    maxGap: device.maxGap,
    maxBitGap: device.maxBitGap,
    unitId: device.unitId,
    onePointPerRequest: device.onePointPerRequest,
    ...(memory ? { isolated: memory.isolated, breaks: memory.breaks } : {}),
  };
}

/** Splits a device's points into poll groups by interval and plans each group's requests. */
export function planDevice(device: ModbusDevice, memory?: PlanMemory): PollGroupPlan[] {
  const byInterval = new Map<number, ModbusPoint[]>();
  for (const p of device.points) {
    const interval = p.pollInterval ?? device.pollInterval;
    const list = byInterval.get(interval) ?? [];
    list.push(p);
    byInterval.set(interval, list);
  }
  const opts = planOptionsFor(device, memory);
  return [...byInterval.entries()]
    .sort(([a], [b]) => a - b)
    .map(([intervalMs, points]) => ({ intervalMs, points, blocks: planReads(points, opts) }));
}

/** One line per request, as `plan` prints it. */
export function describeBlock(b: ReadBlock): string {
  const fc = { coil: 'FC01 read coils', discrete: 'FC02 read discrete inputs', holding: 'FC03 read holding registers', input: 'FC04 read input registers' }[b.table];
  const end = b.start + b.count - 1;
  const ids = b.points.map((p) => p.id).join(', ');
  return `unit ${b.unitId} ${fc} ${b.start}…${end} (${formatReference(b.table, b.start)}…${formatReference(b.table, end)}, ${b.count} ${b.table === 'coil' || b.table === 'discrete' ? 'bit' : 'register'}${b.count === 1 ? '' : 's'}): ${ids}`;
}
