import type { QualityCode } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import { scaleValue, type ScaleConfig } from '../shared/scaling.js';
import { mapStatusCode } from './quality.js';

/** What the adapter needs of an OPC UA DataValue (node-opcua's DataValue satisfies it). */
export interface DataValueLike {
  value: { value: unknown; dataType: number } | null;
  statusCode: { value: number; name: string };
  sourceTimestamp: Date | null;
  serverTimestamp: Date | null;
}

/** OPC UA built-in DataType ids the adapter turns into numbers or booleans. */
const BOOLEAN = 1;
const INT64 = 8;
const UINT64 = 9;
const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // SByte … Double

/** Int64/UInt64 come from node-opcua as [high, low] 32-bit words. */
function int64ToNumber(v: unknown, signed: boolean): number | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [hi, lo] = v as [number, number];
  const big = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return Number(signed ? BigInt.asIntN(64, big) : big);
}

function scalar(raw: unknown, dataType: number): number | boolean | undefined {
  if (dataType === BOOLEAN) return typeof raw === 'boolean' ? raw : undefined;
  if (dataType === INT64 || dataType === UINT64) return int64ToNumber(raw, dataType === INT64);
  if (NUMERIC.has(dataType) && typeof raw === 'number') return raw;
  return undefined;
}

export interface ValueOptions {
  point: string;
  /** The element wanted when the variable is an array (servers that ignore the index range send all). */
  arrayIndex?: number | undefined;
  /** True when the request carried an index range, so a one-element array is that element. */
  indexRangeSent?: boolean;
  scale?: ScaleConfig | undefined;
}

/**
 * One DataValue → one Reading. Keeps the server's status (mapped to a Reading quality) and source
 * timestamp; a value the gateway cannot use (text, a missing array element, NaN) becomes Bad with
 * the reason, never a made-up number.
 */
export function toReading(dv: DataValueLike, o: ValueOptions, receivedAt: number): Reading {
  const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? receivedAt;
  const mapped = mapStatusCode(dv.statusCode.value, dv.statusCode.name);
  const bad = (quality: QualityCode, reason: string): Reading => ({ point: o.point, value: null, quality, ts, receivedAt, reason });
  if (mapped.quality.startsWith('Bad')) return bad(mapped.quality, mapped.reason ?? mapped.quality);

  const variant = dv.value;
  if (!variant || variant.value === null || variant.value === undefined) return bad('Bad', '服务器返回空值');
  let raw: unknown = variant.value;
  const isArray = ArrayBuffer.isView(raw) || (Array.isArray(raw) && !(variant.dataType === INT64 || variant.dataType === UINT64));
  if (o.arrayIndex !== undefined) {
    if (!isArray) return bad('BadConfigurationError', `配置了 arrayIndex ${o.arrayIndex}，但变量不是数组`);
    const arr = raw as ArrayLike<unknown>;
    const idx = o.indexRangeSent && arr.length === 1 ? 0 : o.arrayIndex;
    if (idx >= arr.length) return bad('BadOutOfRange', `数组只有 ${arr.length} 个元素，取不到第 ${o.arrayIndex} 个`);
    raw = arr[idx];
  } else if (isArray) {
    return bad('BadConfigurationError', '变量是数组：请配置 arrayIndex');
  }
  const v = scalar(raw, variant.dataType);
  if (v === undefined) return bad('BadConfigurationError', `数据类型 ${variant.dataType} 不是数值或布尔量`);
  if (typeof v === 'number') {
    // Scaling may itself judge the value (NAMUR NE 43 loop-current limits); its verdict wins over Good.
    const scaled = scaleValue(v, o.scale);
    if (scaled.value === null || !Number.isFinite(scaled.value)) return bad(scaled.quality === 'Good' ? 'Bad' : scaled.quality, scaled.reason ?? `非有限数值 ${v}`);
    if (scaled.quality !== 'Good') return withQuality({ point: o.point, value: scaled.value, quality: scaled.quality, ts, receivedAt }, scaled.reason);
    return withQuality({ point: o.point, value: scaled.value, quality: mapped.quality, ts, receivedAt }, mapped.reason);
  }
  return withQuality({ point: o.point, value: v, quality: mapped.quality, ts, receivedAt }, mapped.reason);
}

function withQuality(r: Reading, reason: string | undefined): Reading {
  return reason ? { ...r, reason } : r;
}
