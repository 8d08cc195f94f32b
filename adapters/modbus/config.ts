import { z } from 'zod';
import { basePointFields } from '../../gateway/config/point-schema.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { scaleSchema } from '../shared/scaling.js';

export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const MODBUS_DATA_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];

/**
 * Byte order of multi-register values, written as the order of bytes A (most significant) … D.
 * ABCD: big-endian, high word first (Modbus default). CDAB: low word first ("word swap", common in
 * gas-detector controllers). BADC: bytes swapped within each word. DCBA: little-endian.
 */
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

export const modbusPointSchema = z
  .strictObject({
    ...basePointFields,
    table: z.enum(MODBUS_TABLES),
    /** 0-based protocol address (register 40001 is holding address 0). */
    address: z.number().int().min(0).max(65535),
    dataType: z.enum(MODBUS_DATA_TYPES).optional(),
    wordOrder: z.enum(WORD_ORDERS).default('ABCD'),
    scale: scaleSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const bitTable = p.table === 'coil' || p.table === 'discrete';
    if (bitTable && p.dataType !== undefined && p.dataType !== 'bool') {
      ctx.addIssue({ code: 'custom', path: ['dataType'], message: `${p.table} points are single bits: dataType must be bool` });
    }
    if (!bitTable && p.dataType === 'bool') {
      ctx.addIssue({ code: 'custom', path: ['dataType'], message: 'bool needs table coil or discrete (a bit inside a register comes with the full Modbus adapter)' });
    }
    if (bitTable && p.scale) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'bit points cannot be scaled' });
    }
  })
  .transform((p) => ({ ...p, dataType: p.dataType ?? (p.table === 'coil' || p.table === 'discrete' ? 'bool' : 'uint16') }));
export type ModbusPoint = z.infer<typeof modbusPointSchema>;

export const modbusTcpDeviceSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  type: z.literal('modbus-tcp'),
  enabled: z.boolean().default(true),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  pollInterval: durationSchema.default(1000),
  /** Reply timeout of one request. */
  timeout: durationSchema.default(1000),
  /** Reconnect backoff: first delay, doubled after each failure up to the maximum, with jitter. */
  reconnectMin: durationSchema.default(500),
  reconnectMax: durationSchema.default(30_000),
  /** Largest registers per request (the Modbus limit is 125; some devices accept fewer). */
  maxRegistersPerRequest: z.number().int().min(1).max(125).default(125),
  points: z.array(modbusPointSchema).min(1),
});
export type ModbusTcpDevice = z.infer<typeof modbusTcpDeviceSchema>;
