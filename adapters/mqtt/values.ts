import { applyScale } from '../shared/scaling.js';
import type { MqttPoint } from './config.js';

export type RejectReason =
  | 'too_large'
  | 'not_utf8'
  | 'not_json'
  | 'bad_shape'
  | 'no_template'
  | 'unknown_point'
  | 'wrong_type'
  | 'out_of_range'
  | 'no_known_field'
  | 'sparkplug_decode'
  | 'sparkplug_sequence'
  | 'sparkplug_unknown_alias'
  | 'bad_historical_time'
  | 'low_confidence';

export interface Reject {
  reason: RejectReason;
  detail: string;
}

/** A point value from a message: a number (numeric strings too) or a boolean (true/false, 0/1). */
export function pointValue(point: MqttPoint, raw: unknown): { value: number | boolean } | Reject {
  if (point.type === 'boolean') {
    if (typeof raw === 'boolean') return { value: raw };
    if (raw === 0 || raw === 1) return { value: raw === 1 };
    if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
    return { reason: 'wrong_type', detail: `point ${point.id} takes a boolean, got ${describe(raw)}` };
  }
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'bigint') n = Number(raw);
  else if (typeof raw === 'string' && raw.trim() !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) n = Number(raw);
  else return { reason: 'wrong_type', detail: `point ${point.id} takes a number, got ${describe(raw)}` };
  if (!Number.isFinite(n)) return { reason: 'wrong_type', detail: `point ${point.id} takes a finite number, got ${describe(raw)}` };
  const value = applyScale(n, point.scale);
  const r = point.range;
  if (r) {
    // A little beyond the instrument range is an over-range reading; far beyond is a broken message.
    const span = r.high - r.low;
    if (value < r.low - span * 0.1 || value > r.high + span * 0.1) return { reason: 'out_of_range', detail: `point ${point.id}: ${value} is outside its range ${r.low}–${r.high}` };
  }
  return { value };
}

export function describe(raw: unknown): string {
  if (raw === null) return 'null';
  if (typeof raw === 'string') return `"${raw.length > 40 ? raw.slice(0, 40) + '…' : raw}"`;
  if (typeof raw === 'object') return Array.isArray(raw) ? 'an array' : 'an object';
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return `${typeof raw} ${String(raw)}`;
  return typeof raw;
}

/**
 * A device timestamp (ms since epoch, or an ISO 8601 string) if within `maxSkew` of the receive
 * time; otherwise the receive time, flagged so the skew is counted.
 */
export function sourceTime(raw: unknown, receivedAt: number, maxSkew: number): { ts: number; skewed: boolean } {
  if (raw === undefined || raw === null) return { ts: receivedAt, skewed: false };
  const ts = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ts) || Math.abs(ts - receivedAt) > maxSkew) return { ts: receivedAt, skewed: true };
  return { ts, skewed: false };
}

/** RFC 6901 JSON pointer lookup; undefined when absent. */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}
