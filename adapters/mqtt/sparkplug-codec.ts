import { createRequire } from 'node:module';
import Long from 'long';

// CommonJS modules whose namespace exports do not survive ESM interop: loaded with require.
const require = createRequire(import.meta.url);
const proto = require('sparkplug-payload/lib/sparkplugPayloadProto.js') as typeof import('sparkplug-payload/lib/sparkplugPayloadProto.js');
const { encodePayload } = require('sparkplug-payload/lib/sparkplugbpayload.js') as typeof import('sparkplug-payload/lib/sparkplugbpayload.js');

/**
 * Sparkplug B payloads. Encoding goes through the sparkplug-payload package; decoding reads the
 * package's protobuf message and converts values itself, because the package's own conversion gets
 * integers wrong (UInt32 ≥ 2^31 comes back negative, 64-bit values as Long objects). Int64 and
 * UInt64 are bigints here, exact beyond 2^53. tests/adapters/mqtt/sparkplug-codec.test.ts checks
 * the round trip over every scalar datatype.
 */
export const SPARKPLUG_TYPES = ['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float', 'Double', 'Boolean', 'String', 'DateTime', 'Text', 'UUID', 'Bytes'] as const;
export type SparkplugType = (typeof SPARKPLUG_TYPES)[number];
const TYPE_CODES: Record<SparkplugType, number> = { Int8: 1, Int16: 2, Int32: 3, Int64: 4, UInt8: 5, UInt16: 6, UInt32: 7, UInt64: 8, Float: 9, Double: 10, Boolean: 11, String: 12, DateTime: 13, Text: 14, UUID: 15, Bytes: 17 };
const BY_CODE = new Map(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as SparkplugType]));

export type SparkplugValue = number | bigint | boolean | string | Uint8Array | null;

export interface SparkplugMetric {
  name?: string | undefined;
  alias?: number | undefined;
  timestamp?: number | undefined;
  /** undefined for a datatype this gateway does not take as a point value (DataSet, Template, …). */
  type?: SparkplugType | undefined;
  value: SparkplugValue;
  isHistorical?: boolean | undefined;
}

export interface SparkplugPayload {
  timestamp?: number | undefined;
  seq?: number | undefined;
  metrics: SparkplugMetric[];
}

type LongLike = Long | number | null | undefined;

function unsigned(v: LongLike): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return BigInt(Long.fromValue(v).toUnsigned().toString());
}

function toLong(v: number | bigint, signed: boolean): Long {
  const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  const u = Long.fromString(BigInt.asUintN(64, b).toString(), true);
  return signed ? u.toSigned() : u;
}

export function encodeSparkplug(p: SparkplugPayload): Uint8Array {
  return encodePayload({
    ...(p.timestamp !== undefined ? { timestamp: p.timestamp } : {}),
    ...(p.seq !== undefined ? { seq: p.seq } : {}),
    metrics: p.metrics.map((m) => {
      const type = m.type ?? 'Double';
      let value: unknown = m.value;
      if (value !== null && (type === 'Int64' || type === 'UInt64' || type === 'UInt32' || type === 'DateTime')) value = toLong(value as number | bigint, type === 'Int64');
      return {
        ...(m.name !== undefined ? { name: m.name } : {}),
        ...(m.alias !== undefined ? { alias: m.alias } : {}),
        ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
        ...(m.isHistorical ? { isHistorical: true } : {}),
        type,
        value,
      };
    }),
  });
}

const Payload = proto.org.eclipse.tahu.protobuf.Payload;

/** protobufjs gives absent fields their default through the prototype: only own fields were sent. */
function has(o: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, field);
}

/** Decodes a Sparkplug B payload; throws on bytes that are not one. */
export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  const p = Payload.decode(bytes);
  const metrics: SparkplugMetric[] = p.metrics.map((m) => {
    const type = BY_CODE.get(m.datatype ?? 0);
    let value: SparkplugValue = null;
    if (!m.isNull && type) {
      switch (type) {
        case 'Int8':
        case 'Int16':
        case 'Int32':
          value = (m.intValue ?? 0) | 0;
          break;
        case 'UInt8':
        case 'UInt16':
          value = (m.intValue ?? 0) >>> 0;
          break;
        case 'UInt32':
        case 'DateTime':
          value = Number(unsigned(m.longValue));
          break;
        case 'Int64':
          value = BigInt.asIntN(64, unsigned(m.longValue));
          break;
        case 'UInt64':
          value = unsigned(m.longValue);
          break;
        case 'Float':
          value = m.floatValue ?? 0;
          break;
        case 'Double':
          value = m.doubleValue ?? 0;
          break;
        case 'Boolean':
          value = m.booleanValue ?? false;
          break;
        case 'String':
        case 'Text':
        case 'UUID':
          value = m.stringValue ?? '';
          break;
        case 'Bytes':
          value = m.bytesValue ?? new Uint8Array();
          break;
      }
    }
    return {
      name: has(m, 'name') ? m.name! : undefined,
      alias: has(m, 'alias') ? Number(unsigned(m.alias)) : undefined,
      timestamp: has(m, 'timestamp') ? Number(unsigned(m.timestamp)) : undefined,
      type,
      value,
      isHistorical: has(m, 'isHistorical') ? Boolean(m.isHistorical) : undefined,
    };
  });
  return {
    timestamp: has(p, 'timestamp') ? Number(unsigned(p.timestamp)) : undefined,
    seq: has(p, 'seq') ? Number(unsigned(p.seq)) : undefined,
    metrics,
  };
}
