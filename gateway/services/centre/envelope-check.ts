import { QUALITY_CODES } from '../../core/quality.js';
import type { Envelope } from '../../uplink/envelope.js';

/**
 * A pre-compiled check of the commonest envelopes, realtime snapshots and heartbeats, for the centre's
 * intake. zod's envelopeSchema parses each of the 200 items of a snapshot into a new object, and at
 * 2,000 gateways that parse and its garbage were the largest cost of the intake after JSON.parse.
 *
 * It answers only "certainly valid": true means envelopeSchema accepts the value and returns an equal
 * one (tests/gateway/services/centre/envelope-check.test.ts checks this on generated envelopes);
 * anything else (another type, an optional field, a value at an edge) returns false and goes through
 * zod, which then decides and names the problem. So the intake accepts and rejects exactly what
 * envelopeSchema does.
 */
const HEADER_KEYS = new Set(['dataId', 'seq', 'type', 'enterpriseCode', 'gatewayCode', 'timestamp', 'historical', 'items']);
const ITEM_KEYS = new Set(['pointCode', 'value', 'unit', 'quality', 'time', 'alarmLevel']);
const QUALITIES = new Set<string>(QUALITY_CODES);
/** The same pattern as zod 4's z.uuid() (RFC 9562 versions 1–8, the nil and max UUIDs). */
const UUID = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function plainItem(x: unknown): boolean {
  if (!isRecord(x)) return false;
  let n = 0;
  for (const k in x) {
    if (!ITEM_KEYS.has(k) || !Object.hasOwn(x, k)) return false;
    n++;
  }
  if (n !== ITEM_KEYS.size) return false;
  const v = x.value;
  const level = x.alarmLevel;
  return (
    typeof x.pointCode === 'string' &&
    x.pointCode.length > 0 &&
    (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) &&
    typeof x.unit === 'string' &&
    typeof x.quality === 'string' &&
    QUALITIES.has(x.quality) &&
    isInt(x.time) &&
    (level === 0 || level === 1 || level === 2 || level === 3 || level === 4)
  );
}

/** The parsed JSON as an Envelope when it is certainly a valid realtime or heartbeat envelope, else undefined. */
export function plainSnapshotEnvelope(json: unknown): Envelope | undefined {
  if (!isRecord(json)) return undefined;
  let n = 0;
  for (const k in json) {
    if (!HEADER_KEYS.has(k) || !Object.hasOwn(json, k)) return undefined;
    n++;
  }
  if (n !== HEADER_KEYS.size) return undefined;
  const { dataId, seq, type, enterpriseCode, gatewayCode, timestamp, historical, items } = json;
  if (type !== 'realtime' && type !== 'heartbeat') return undefined;
  if (typeof dataId !== 'string' || !UUID.test(dataId)) return undefined;
  if (!isInt(seq) || seq <= 0 || !isInt(timestamp) || typeof historical !== 'boolean') return undefined;
  if (typeof enterpriseCode !== 'string' || enterpriseCode.length !== 18 || typeof gatewayCode !== 'string' || gatewayCode.length === 0) return undefined;
  if (!Array.isArray(items)) return undefined;
  for (const item of items) if (!plainItem(item)) return undefined;
  return json as Envelope;
}
