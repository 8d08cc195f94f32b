/**
 * The slave side of the Modbus protocol, written from the specification (Modbus Application
 * Protocol v1.1b3, Modbus over Serial Line v1.02) and independent of the gateway's client library,
 * so the adapter is not only tested against the code it runs on. Read functions only: the gateway
 * never writes to plant equipment.
 */

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(buf: Uint8Array, end = buf.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return crc;
}

export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([fc | 0x80, code]);
}

/** Wraps a PDU in an RTU frame: unit, PDU, CRC (little-endian). */
export function rtuFrame(unit: number, pdu: Buffer): Buffer {
  const out = Buffer.alloc(pdu.length + 3);
  out[0] = unit;
  pdu.copy(out, 1);
  out.writeUInt16LE(crc16(out, out.length - 2), out.length - 2);
  return out;
}

/** Wraps a PDU in an MBAP header. */
export function mbapFrame(transactionId: number, unit: number, pdu: Buffer): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(transactionId, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  pdu.copy(out, 7);
  return out;
}

export interface RtuRequest {
  unit: number;
  pdu: Buffer;
}

/**
 * Splits a byte stream into RTU request frames. A real line delimits frames by 3.5 characters of
 * silence; a pty or TCP stream has no timing, so frames are cut by the length their function code
 * implies and confirmed by the CRC. On a CRC mismatch one byte is dropped and the search resumes,
 * as a slave does after line noise.
 */
export class RtuRequestParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RtuRequest[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RtuRequest[] = [];
    for (;;) {
      if (this.buf.length < 4) break;
      const fc = this.buf[1]!;
      let len: number;
      if (fc >= 1 && fc <= 6) len = 8;
      else if (fc === 15 || fc === 16) {
        if (this.buf.length < 7) break;
        len = 9 + this.buf[6]!;
      } else {
        // Unknown function: its length is unknown too, so drop a byte and resynchronise.
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < len) break;
      const frame = this.buf.subarray(0, len);
      if (crc16(frame, len - 2) === frame.readUInt16LE(len - 2)) {
        out.push({ unit: frame[0]!, pdu: Buffer.from(frame.subarray(1, len - 2)) });
        this.buf = this.buf.subarray(len);
      } else {
        this.buf = this.buf.subarray(1);
      }
    }
    return out;
  }
}

export interface MbapRequest {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

/** Splits a TCP byte stream into MBAP requests; returns 'bad' on a malformed header (close the socket). */
export class MbapRequestParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): MbapRequest[] | 'bad' {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: MbapRequest[] = [];
    while (this.buf.length >= 7) {
      const protocol = this.buf.readUInt16BE(2);
      const length = this.buf.readUInt16BE(4);
      if (protocol !== 0 || length < 2 || length > 254) return 'bad';
      if (this.buf.length < 6 + length) break;
      out.push({ transactionId: this.buf.readUInt16BE(0), unit: this.buf[6]!, pdu: Buffer.from(this.buf.subarray(7, 6 + length)) });
      this.buf = this.buf.subarray(6 + length);
    }
    return out;
  }
}

export interface DataSource {
  bits(table: 'coil' | 'discrete', unit: number, start: number, count: number): ArrayLike<number>;
  registers(table: 'input' | 'holding', unit: number, start: number, count: number): ArrayLike<number>;
  /** A Modbus exception code to answer instead, or undefined. */
  fault(table: 'coil' | 'discrete' | 'input' | 'holding', unit: number, start: number, count: number): number | undefined;
}

const TABLE_OF_FC = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' } as const;

/** Answers one request PDU (function codes 1–4). */
export function answerPdu(pdu: Buffer, unit: number, src: DataSource): Buffer {
  const fc = pdu[0] ?? 0;
  if (fc < 1 || fc > 4) return exceptionPdu(fc, 1);
  if (pdu.length !== 5) return exceptionPdu(fc, 3);
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  const table = TABLE_OF_FC[fc as 1 | 2 | 3 | 4];
  const bitTable = table === 'coil' || table === 'discrete';
  if (count < 1 || count > (bitTable ? 2000 : 125)) return exceptionPdu(fc, 3);
  if (start + count > 65536) return exceptionPdu(fc, 2);
  const fault = src.fault(table, unit, start, count);
  if (fault !== undefined) return exceptionPdu(fc, fault);
  if (bitTable) {
    const bits = src.bits(table, unit, start, count);
    const bytes = Math.ceil(count / 8);
    const out = Buffer.alloc(2 + bytes);
    out[0] = fc;
    out[1] = bytes;
    for (let i = 0; i < count; i++) if (bits[i]) out[2 + (i >> 3)] = (out[2 + (i >> 3)] ?? 0) | (1 << (i & 7));
    return out;
  }
  const regs = src.registers(table, unit, start, count);
  const out = Buffer.alloc(2 + count * 2);
  out[0] = fc;
  out[1] = count * 2;
  for (let i = 0; i < count; i++) out.writeUInt16BE(regs[i]! & 0xffff, 2 + i * 2);
  return out;
}
