import type { SimpleReading } from './simple-check.js';

/**
 * The simple form as sensors and DTUs send it, byte for byte: `{"point":"<id>","value":<number>}`
 * or `{"point":"<id>","value":<number>,"ts":<number>}`, no whitespace, the point id printable ASCII
 * without escapes. Read straight from the payload's bytes, this skips UTF-8 decoding and JSON.parse,
 * whose string handling was the largest single cost of a message at 40,000 msg/s.
 *
 * It only ever answers for text JSON.parse reads the same way (the same keys in the same order, the
 * same numbers, bit for bit): anything else, including valid JSON written differently, is
 * `undefined` and takes the general path (JSON.parse, simple-check.ts, zod), which also gives every
 * rejection. tests/adapters/mqtt/simple-fast.test.ts checks that agreement with fast-check.
 */
export function readSimpleFast(b: Buffer): SimpleReading | undefined {
  const n = b.length;
  if (n < 22 || !at(b, 0, POINT_KEY)) return undefined;
  let i = POINT_KEY.length;
  const pointStart = i;
  for (;;) {
    const c = b[i];
    if (c === undefined) return undefined;
    if (c === QUOTE) break;
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return undefined;
    i++;
  }
  const pointEnd = i;
  if (!at(b, i, VALUE_KEY)) return undefined;
  i += VALUE_KEY.length;
  const valueEnd = numberEnd(b, i);
  if (valueEnd < 0) return undefined;
  const value = numberAt(b, i, valueEnd);
  i = valueEnd;
  let ts: number | undefined;
  if (b[i] === COMMA) {
    if (!at(b, i, TS_KEY)) return undefined;
    i += TS_KEY.length;
    const tsEnd = numberEnd(b, i);
    if (tsEnd < 0) return undefined;
    ts = numberAt(b, i, tsEnd);
    i = tsEnd;
  }
  if (i !== n - 1 || b[i] !== CLOSE) return undefined;
  const point = b.toString('latin1', pointStart, pointEnd);
  // The keys JSON.parse would make, no more: a missing ts is no key at all.
  return ts === undefined ? { point, value } : { point, value, ts };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const POINT_KEY = Buffer.from('{"point":"', 'latin1');
/** Starts with the point id's closing quote. */
const VALUE_KEY = Buffer.from('","value":', 'latin1');
const TS_KEY = Buffer.from(',"ts":', 'latin1');

function at(b: Buffer, i: number, key: Buffer): boolean {
  if (i + key.length > b.length) return false;
  for (let k = 0; k < key.length; k++) if (b[i + k] !== key[k]) return false;
  return true;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** Where the JSON number starting at `i` ends (RFC 8259 grammar), or -1 if there is none. */
function numberEnd(b: Buffer, i: number): number {
  let j = i;
  if (b[j] === MINUS) j++;
  const first = b[j];
  if (first === ZERO) j++;
  else if (first !== undefined && first >= ONE && first <= NINE) {
    j++;
    while (isDigit(b[j])) j++;
  } else return -1;
  if (b[j] === DOT) {
    const s = ++j;
    while (isDigit(b[j])) j++;
    if (j === s) return -1;
  }
  if (b[j] === 0x65 || b[j] === 0x45) {
    j++;
    if (b[j] === PLUS || b[j] === MINUS) j++;
    const s = j;
    while (isDigit(b[j])) j++;
    if (j === s) return -1;
  }
  return j;
}

/**
 * The number's value. Integers of up to 15 digits are exact in a double and summed here; anything
 * else goes through Number(), which rounds as JSON.parse does (both correctly rounded).
 */
function numberAt(b: Buffer, start: number, end: number): number {
  const negative = b[start] === MINUS;
  const from = negative ? start + 1 : start;
  if (end - from <= 15) {
    let v = 0;
    let k = from;
    for (; k < end; k++) {
      const c = b[k]!;
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
    }
    if (k === end) return negative ? -v : v;
  }
  return Number(b.toString('latin1', start, end));
}
