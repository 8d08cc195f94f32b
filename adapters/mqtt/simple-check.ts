import { QUALITY_CODES, type QualityCode } from '../../gateway/core/quality.js';

/** One reading of the simple form, as decode.ts's `simpleReadingSchema` (zod) outputs it. */
export interface SimpleReading {
  point: string;
  value: number | boolean | string | null;
  ts?: number | string | undefined;
  quality?: QualityCode | undefined;
}

const QUALITY = new Set<string>(QUALITY_CODES);

/**
 * The zod schema `simpleReadingSchema` (decode.ts) as a plain predicate, for the hot path of the
 * simple form: at 40,000 messages a second zod's generic object walk cost more than JSON.parse.
 * zod stays the definition: a message this check refuses goes through zod, which gives the
 * rejection; and tests/adapters/mqtt/simple-check.test.ts checks with fast-check that both accept
 * exactly the same values (and that zod's output then equals the input, so the input is used as is).
 * Change one, change the other.
 *
 * strictObject: a plain object with no keys beyond point, value, ts, quality (own enumerable ones:
 * what JSON.parse makes, `__proto__` included).
 */
export function isSimpleReading(x: unknown): x is SimpleReading {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  for (const k in x) {
    if (!Object.prototype.hasOwnProperty.call(x, k)) continue;
    if (k !== 'point' && k !== 'value' && k !== 'ts' && k !== 'quality') return false;
  }
  const o = x as Record<string, unknown>;
  // point: z.string().min(1).max(200)
  const point = o.point;
  if (typeof point !== 'string' || point.length < 1 || point.length > 200) return false;
  // value: number | boolean | string(max 64) | null; z.number() refuses NaN and ±Infinity.
  if (!('value' in o)) return false;
  const value = o.value;
  if (!(value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 64))) return false;
  // ts: optional number | string(max 64)
  if ('ts' in o) {
    const ts = o.ts;
    if (!(ts === undefined || (typeof ts === 'number' && Number.isFinite(ts)) || (typeof ts === 'string' && ts.length <= 64))) return false;
  }
  // quality: optional quality code
  if ('quality' in o) {
    const q = o.quality;
    if (!(q === undefined || (typeof q === 'string' && QUALITY.has(q)))) return false;
  }
  return true;
}
