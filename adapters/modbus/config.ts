import { z } from 'zod';
import { publishField } from '../../gateway/config/publish-schema.js';
import { basePointFields, pointIdSchema } from '../../gateway/config/point-schema.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { scaleSchema } from '../shared/scaling.js';
import { MODBUS_TABLES, parseAddressNotation, type ModbusTable } from './address.js';

// Defined with the address notation that names them (address.ts), re-exported for the config's users.
export { MODBUS_TABLES, type ModbusTable };

export const MODBUS_DATA_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string'] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];

/**
 * Byte order of multi-register values, written as the order of bytes A (most significant) … D.
 * ABCD: big-endian, high word first (Modbus default). CDAB: low word first ("word swap", common in
 * gas-detector controllers). BADC: bytes swapped within each word. DCBA: little-endian.
 * The 64-bit names ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA are accepted and mean the same swaps.
 */
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];
const WORD_ORDER_ALIASES: Record<string, WordOrder> = { ABCDEFGH: 'ABCD', GHEFCDAB: 'CDAB', BADCFEHG: 'BADC', HGFEDCBA: 'DCBA' };
const wordOrderSchema = z
  .enum([...WORD_ORDERS, 'ABCDEFGH', 'GHEFCDAB', 'BADCFEHG', 'HGFEDCBA'])
  .transform((o): WordOrder => WORD_ORDER_ALIASES[o] ?? (o as WordOrder));

const WIDTH: Record<Exclude<ModbusDataType, 'string'>, number> = {
  bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4,
};

const isBitTable = (t: ModbusTable) => t === 'coil' || t === 'discrete';

export const modbusPointSchema = z
  .strictObject({
    ...basePointFields,
    /** Omit when `address` is written in reference notation ("40001"), which names the table. */
    table: z.enum(MODBUS_TABLES).optional(),
    /**
     * A number: the protocol address, 0-based unless the device sets addressBase: 1.
     * A string: reference notation "40001" / "400001" / "4x0001", optionally ".bit" (always 1-based).
     */
    address: z.union([z.number().int().min(0).max(65536), z.string()]),
    /** A bit inside an input or holding register (0 = least significant); the point is then bool. */
    bit: z.number().int().min(0).max(15).optional(),
    dataType: z.enum(MODBUS_DATA_TYPES).optional(),
    wordOrder: wordOrderSchema.default('ABCD'),
    /** Registers of a string point. */
    length: z.number().int().min(1).max(125).optional(),
    scale: scaleSchema.optional(),
    /** Unit id of this point when one connection serves several slaves; default the device's. */
    unitId: z.number().int().min(0).max(255).optional(),
    /** Poll group: points with their own interval are read on their own schedule. */
    pollInterval: durationSchema.optional(),
  })
  .transform((p, ctx) => {
    let table = p.table;
    let address = typeof p.address === 'number' ? p.address : -1;
    let bit = p.bit;
    const notation = typeof p.address === 'string';
    if (typeof p.address === 'string') {
      const parsed = parseAddressNotation(p.address);
      if ('error' in parsed) {
        ctx.addIssue({ code: 'custom', path: ['address'], message: parsed.error });
        return z.NEVER;
      }
      if (table !== undefined && table !== parsed.table) {
        ctx.addIssue({ code: 'custom', path: ['table'], message: `table "${table}" contradicts address "${p.address}" (which is a ${parsed.table} reference); drop table or fix the address` });
        return z.NEVER;
      }
      if (bit !== undefined && parsed.bit !== undefined && bit !== parsed.bit) {
        ctx.addIssue({ code: 'custom', path: ['bit'], message: `bit ${bit} contradicts address "${p.address}"` });
        return z.NEVER;
      }
      table = parsed.table;
      address = parsed.address;
      bit = bit ?? parsed.bit;
    }
    if (table === undefined) {
      ctx.addIssue({ code: 'custom', path: ['table'], message: 'table is required (coil, discrete, input or holding) unless address is a reference such as "40001"' });
      return z.NEVER;
    }
    const bitTable = isBitTable(table);
    if (bitTable && p.dataType !== undefined && p.dataType !== 'bool') {
      ctx.addIssue({ code: 'custom', path: ['dataType'], message: `${table} points are single bits: dataType must be bool` });
    }
    if (bitTable && bit !== undefined) ctx.addIssue({ code: 'custom', path: ['bit'], message: `bit applies to input or holding registers, not ${table}` });
    if (bit !== undefined && p.dataType !== undefined && p.dataType !== 'bool') {
      ctx.addIssue({ code: 'custom', path: ['dataType'], message: 'a bit inside a register is a bool point' });
    }
    if (!bitTable && p.dataType === 'bool' && bit === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bit'], message: 'a bool from a register needs bit: 0…15 (or address "40001.3")' });
    }
    if ((bitTable || bit !== undefined) && p.scale) ctx.addIssue({ code: 'custom', path: ['scale'], message: 'bit points cannot be scaled' });
    if (p.dataType === 'string') {
      if (p.length === undefined) ctx.addIssue({ code: 'custom', path: ['length'], message: 'a string point needs length (registers)' });
      // Readings carry numbers and booleans only (gateway/core/reading.ts); text would be dropped downstream.
      ctx.addIssue({ code: 'custom', path: ['dataType'], message: 'string points cannot be published yet: readings carry numbers and booleans only' });
    } else if (p.length !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['length'], message: 'length applies to string points only' });
    }
    const dataType: ModbusDataType = p.dataType ?? (bitTable || bit !== undefined ? 'bool' : 'uint16');
    const { address: _raw, table: _t, bit: _b, ...rest } = p;
    return { ...rest, table, address, bit, dataType, notation };
  });
export type ModbusPoint = z.output<typeof modbusPointSchema>;

/** Registers or bits a point occupies. */
export function pointWidth(p: Pick<ModbusPoint, 'dataType' | 'length'>): number {
  return p.dataType === 'string' ? (p.length ?? 1) : WIDTH[p.dataType];
}

const linkDefaults = {
  /** Reply timeout of one request. */
  timeout: durationSchema.default(1000),
  /** Reconnect backoff (and the backoff of a silent slave): first delay, doubled up to the maximum, ±20 % jitter. */
  reconnectMin: durationSchema.default(500),
  reconnectMax: durationSchema.default(30_000),
};

const deviceFields = {
  id: pointIdSchema,
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  ...publishField,
  unitId: z.number().int().min(0).max(255).default(1),
  pollInterval: durationSchema.default(1000),
  ...linkDefaults,
  /** Extra attempts after a timeout before the points go Bad (noisy RS-485 lines lose the odd frame). */
  retries: z.number().int().min(0).max(5).default(0),
  /** Largest registers per request (the Modbus limit is 125; some devices accept fewer). */
  maxRegistersPerRequest: z.number().int().min(1).max(125).default(125),
  /** Largest coils / discrete inputs per request (Modbus limit 2000). */
  maxBitsPerRequest: z.number().int().min(1).max(2000).default(2000),
  /** Unused registers one merged request may span between two points. */
  maxGap: z.number().int().min(0).max(124).default(8),
  /** Unused bits one merged request may span. */
  maxBitGap: z.number().int().min(0).max(1999).default(64),
  /** Whether numeric addresses count from 0 (protocol address) or 1 (register number in the manual). */
  addressBase: z.union([z.literal(0), z.literal(1)]).default(0),
  /** Pause after a connection opens before the first request (devices that drop early requests). */
  connectDelay: durationSchema.default(0),
  /** Pause between two requests to this device (slow controllers that miss back-to-back frames). */
  requestDelay: durationSchema.default(0),
  /** Read every point with its own request (devices that reject any multi-point read). */
  onePointPerRequest: z.boolean().default(false),
  points: z.array(modbusPointSchema).min(1),
};

type DeviceCommon = {
  type: string;
  unitId: number;
  addressBase: 0 | 1;
  maxRegistersPerRequest: number;
  maxBitsPerRequest: number;
  points: ModbusPoint[];
};

/** Cross-field checks and the 1-based → 0-based address shift; shared by every Modbus device type. */
function finishDevice<D extends DeviceCommon>(d: D, ctx: z.RefinementCtx): D {
  // On a serial line 0 is broadcast (never answered) and 248–255 are reserved.
  const serial = d.type !== 'modbus-tcp';
  const badUnit = (u: number) => serial && (u < 1 || u > 247);
  if (badUnit(d.unitId)) ctx.addIssue({ code: 'custom', path: ['unitId'], message: 'an RTU unit id is 1…247 (0 is broadcast, which no slave answers)' });
  const points = d.points.map((p, i) => {
    if (p.unitId !== undefined && badUnit(p.unitId)) ctx.addIssue({ code: 'custom', path: ['points', i, 'unitId'], message: 'an RTU unit id is 1…247 (0 is broadcast, which no slave answers)' });
    let address = p.address;
    if (!p.notation && d.addressBase === 1) {
      if (address === 0) ctx.addIssue({ code: 'custom', path: ['points', i, 'address'], message: 'addressBase is 1: addresses start at 1' });
      address -= 1;
    }
    const width = pointWidth(p);
    if (address + width > 65536) ctx.addIssue({ code: 'custom', path: ['points', i, 'address'], message: `${p.dataType} at ${address} runs past the last address 65535` });
    const max = isBitTable(p.table) ? d.maxBitsPerRequest : d.maxRegistersPerRequest;
    if (width > max) ctx.addIssue({ code: 'custom', path: ['points', i, 'dataType'], message: `${p.dataType} needs ${width} registers but the device allows ${max} per request` });
    return { ...p, address };
  });
  return { ...d, points };
}

export const modbusTcpDeviceSchema = z
  .strictObject({
    type: z.literal('modbus-tcp'),
    ...deviceFields,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
  })
  .transform(finishDevice);
export type ModbusTcpDevice = z.output<typeof modbusTcpDeviceSchema>;

/** Bus timing of RTU framing. */
const rtuTiming = {
  /** Silence enforced before every request on the bus (Modbus RTU needs ≥ 3.5 characters). */
  interFrameDelay: durationSchema.optional(),
  /** Extra silence after an unanswered request, so a late reply is not taken for the next slave's. */
  turnaroundDelay: durationSchema.default(50),
};

/** RTU frames over TCP: serial device servers (Moxa NPort, USR) and 4G DTUs in transparent mode. */
export const modbusRtuOverTcpDeviceSchema = z
  .strictObject({
    type: z.literal('modbus-rtu-over-tcp'),
    ...deviceFields,
    ...rtuTiming,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
  })
  .transform(finishDevice);
export type ModbusRtuOverTcpDevice = z.output<typeof modbusRtuOverTcpDeviceSchema>;

/** RTU on a local serial port (RS-485 adapter). Devices on the same `serialPort` share one bus queue. */
export const modbusRtuDeviceSchema = z
  .strictObject({
    type: z.literal('modbus-rtu'),
    ...deviceFields,
    ...rtuTiming,
    serialPort: z.string().min(1),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .transform(finishDevice);
export type ModbusRtuDevice = z.output<typeof modbusRtuDeviceSchema>;

export type ModbusDevice = ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuDevice;

/** 3.5 character times at the bus speed (11 bits a character), at least 1.75 ms as the spec fixes above 19200 baud. */
export function defaultInterFrameDelayMs(baudRate: number): number {
  return Math.max(1.75, (3.5 * 11 * 1000) / baudRate);
}
