import type { ModbusDataType, WordOrder } from './config.js';

/** Numeric register types (everything but bits and text). */
export type NumericDataType = Exclude<ModbusDataType, 'bool' | 'string'>;

/** Registers (16-bit words) a value of this type occupies; `length` is the register count of a string. */
export function registerCount(dataType: ModbusDataType, length = 1): number {
  switch (dataType) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return length;
  }
}

/**
 * Puts the bytes of `words` into big-endian order (A = most significant byte first) according to the
 * device's order. Register i holds two bytes (hi, lo) as received on the wire.
 *
 * The four orders are two independent swaps, which is how devices get them wrong in the field:
 * - word swap (CDAB, DCBA): the least significant register comes first ("little-endian words");
 * - byte swap (BADC, DCBA): the two bytes inside each register are exchanged.
 * For 64-bit values the same two swaps give GHEFCDAB (= CDAB), BADCFEHG (= BADC) and HGFEDCBA
 * (= DCBA). Every order is its own inverse, so the same function encodes.
 */
export function orderBytes(words: readonly number[], order: WordOrder): Buffer {
  return orderInto(Buffer.alloc(words.length * 2), words, order);
}

/** Reused by decodeRegisters so the poll loop allocates nothing per value (JavaScript is single-threaded). */
const SCRATCH = Buffer.alloc(8);

/** orderBytes into a caller's buffer (at least 2 × words.length bytes). */
function orderInto(out: Buffer, words: readonly number[], order: WordOrder, offset = 0, n = words.length - offset): Buffer {
  const wordSwap = order === 'CDAB' || order === 'DCBA';
  const byteSwap = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < n; i++) {
    const w = words[offset + (wordSwap ? n - 1 - i : i)]! & 0xffff;
    if (byteSwap) out.writeUInt16LE(w, i * 2);
    else out.writeUInt16BE(w, i * 2);
  }
  return out;
}

function bufferToWords(buf: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < buf.length; i += 2) words.push(buf.readUInt16BE(i));
  return words;
}

/**
 * Decodes a numeric value from registers; `words.length` must equal registerCount(dataType).
 * 64-bit integers beyond ±2^53 lose precision: readings carry JavaScript numbers (float64), as every
 * downstream store (InfluxDB fields, JSON) does.
 */
export function decodeRegisters(words: readonly number[], dataType: NumericDataType, order: WordOrder): number {
  return decodeRegistersAt(words, 0, dataType, order);
}

/** decodeRegisters on the words starting at `offset` of a reply, without copying them out. */
export function decodeRegistersAt(words: readonly number[], offset: number, dataType: NumericDataType, order: WordOrder): number {
  const byteSwap = order === 'BADC' || order === 'DCBA';
  // 16-bit values are most of a plant's registers: decode them without touching a buffer.
  if (dataType === 'uint16' || dataType === 'int16') {
    let w = words[offset]! & 0xffff;
    if (byteSwap) w = ((w & 0xff) << 8) | (w >> 8);
    return dataType === 'int16' ? (w << 16) >> 16 : w;
  }
  const buf = orderInto(SCRATCH, words, order, offset, registerCount(dataType));
  switch (dataType) {
    case 'int32':
      return buf.readInt32BE(0);
    case 'uint32':
      return buf.readUInt32BE(0);
    case 'float32':
      return buf.readFloatBE(0);
    case 'int64':
      return Number(buf.readBigInt64BE(0));
    case 'uint64':
      return Number(buf.readBigUInt64BE(0));
    case 'float64':
      return buf.readDoubleBE(0);
  }
}

/** The inverse of decodeRegisters, for simulators and tests. 64-bit integers may be given as bigint. */
export function encodeRegisters(value: number | bigint, dataType: NumericDataType, order: WordOrder): number[] {
  const be = Buffer.alloc(registerCount(dataType) * 2);
  switch (dataType) {
    case 'int16':
      be.writeInt16BE(Number(value));
      break;
    case 'uint16':
      be.writeUInt16BE(Number(value));
      break;
    case 'int32':
      be.writeInt32BE(Number(value));
      break;
    case 'uint32':
      be.writeUInt32BE(Number(value));
      break;
    case 'float32':
      be.writeFloatBE(Number(value));
      break;
    case 'int64':
      be.writeBigInt64BE(typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
      break;
    case 'uint64':
      be.writeBigUInt64BE(typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
      break;
    case 'float64':
      be.writeDoubleBE(Number(value));
      break;
  }
  return bufferToWords(orderBytes(bufferToWords(be), order));
}

/** Bit `bit` (0 = least significant) of a register: status words pack many flags into one register. */
export function registerBit(word: number, bit: number): boolean {
  return ((word >> bit) & 1) === 1;
}

/**
 * Text packed two characters per register. ABCD/CDAB: first character in the high byte (the usual
 * layout); BADC/DCBA: first character in the low byte (some meters). Decoding stops at the first NUL
 * and trailing spaces are trimmed, since devices pad fixed-length fields either way.
 */
export function decodeString(words: readonly number[], order: WordOrder): string {
  const lowFirst = order === 'BADC' || order === 'DCBA';
  const buf = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => (lowFirst ? buf.writeUInt16LE(w & 0xffff, i * 2) : buf.writeUInt16BE(w & 0xffff, i * 2)));
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul === -1 ? buf.length : nul).toString('latin1').replace(/\s+$/, '');
}

/** The inverse of decodeString: pads with NUL to `length` registers, truncates longer text. */
export function encodeString(text: string, length: number, order: WordOrder): number[] {
  const lowFirst = order === 'BADC' || order === 'DCBA';
  const buf = Buffer.alloc(length * 2);
  buf.write(text.slice(0, length * 2), 'latin1');
  const words: number[] = [];
  for (let i = 0; i < length; i++) words.push(lowFirst ? buf.readUInt16LE(i * 2) : buf.readUInt16BE(i * 2));
  return words;
}
