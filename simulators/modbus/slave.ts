import type { ModbusDataType, ModbusTable, WordOrder } from '../../adapters/modbus/config.js';
import { encodeRegisters, encodeString } from '../../adapters/modbus/decode.js';
import { answerPdu, type DataSource } from './protocol.js';

/** The four Modbus tables of one unit id. */
export class RegisterBank {
  readonly coil = new Uint8Array(65536);
  readonly discrete = new Uint8Array(65536);
  readonly input = new Uint16Array(65536);
  readonly holding = new Uint16Array(65536);

  /**
   * Writes a value the way a device of the given data type and word order would hold it.
   * Strings take `length` registers (default: just enough for the text).
   */
  write(table: ModbusTable, address: number, value: number | boolean | bigint | string, dataType: ModbusDataType = 'uint16', order: WordOrder = 'ABCD', length?: number): void {
    if (table === 'coil' || table === 'discrete') {
      this[table][address] = value ? 1 : 0;
      return;
    }
    if (dataType === 'bool') throw new Error('a bool inside a register is written with writeBit()');
    const words =
      dataType === 'string'
        ? encodeString(String(value), length ?? Math.ceil(String(value).length / 2), order)
        : encodeRegisters(typeof value === 'bigint' ? value : Number(value), dataType, order);
    words.forEach((w, i) => (this[table][address + i] = w));
  }

  /** Sets or clears one bit (0 = least significant) of a register. */
  writeBit(table: 'input' | 'holding', address: number, bit: number, on: boolean): void {
    const w = this[table][address]!;
    this[table][address] = on ? w | (1 << bit) : w & ~(1 << bit);
  }
}

/** A chosen address answering with a Modbus exception. */
interface ExceptionFault {
  unit: number | undefined;
  table: ModbusTable;
  address: number;
  code: number;
}

/**
 * One Modbus slave (or several unit ids behind one endpoint) with fault injection: exceptions on
 * chosen addresses, slow replies, silent unit ids. The transports (TCP, RTU over TCP, serial RTU)
 * wrap it.
 */
export class ModbusSlave implements DataSource {
  private readonly banks = new Map<number, RegisterBank>();
  private exceptions: ExceptionFault[] = [];
  private readonly silent = new Set<number>();
  private readonly delays = new Map<number, number>();
  /** Reply delay for every unit without its own, ms. */
  replyDelayMs = 0;
  /** Requests received, per unit id (answered or not). */
  readonly requests = new Map<number, number>();

  constructor(
    /** Unit ids that answer; undefined: every unit id answers (a plain TCP device ignores it). */
    readonly unitIds?: readonly number[],
  ) {}

  bank(unitId = 1): RegisterBank {
    let b = this.banks.get(unitId);
    if (!b) {
      b = new RegisterBank();
      this.banks.set(unitId, b);
    }
    return b;
  }

  /** Requests touching this address answer with `code` (2 = illegal data address). unit undefined: every unit. */
  exceptionAt(table: ModbusTable, address: number, code = 2, unit?: number): void {
    this.exceptions.push({ unit, table, address, code });
  }

  clearExceptions(): void {
    this.exceptions = [];
  }

  /** A silent unit never answers: a dead slave on a bus. */
  setSilent(unit: number, silent = true): void {
    if (silent) this.silent.add(unit);
    else this.silent.delete(unit);
  }

  setReplyDelay(ms: number, unit?: number): void {
    if (unit === undefined) this.replyDelayMs = ms;
    else this.delays.set(unit, ms);
  }

  totalRequests(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }

  answers(unit: number): boolean {
    return unit !== 0 && !this.silent.has(unit) && (this.unitIds === undefined || this.unitIds.includes(unit));
  }

  /** The reply PDU, or undefined when this unit stays silent. */
  async respond(unit: number, pdu: Buffer): Promise<Buffer | undefined> {
    this.requests.set(unit, (this.requests.get(unit) ?? 0) + 1);
    if (!this.answers(unit)) return undefined;
    const reply = answerPdu(pdu, unit, this);
    const delay = this.delays.get(unit) ?? this.replyDelayMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return reply;
  }

  bits(table: 'coil' | 'discrete', unit: number, start: number, count: number): ArrayLike<number> {
    return this.bank(unit)[table].subarray(start, start + count);
  }

  registers(table: 'input' | 'holding', unit: number, start: number, count: number): ArrayLike<number> {
    return this.bank(unit)[table].subarray(start, start + count);
  }

  fault(table: ModbusTable, unit: number, start: number, count: number): number | undefined {
    for (const f of this.exceptions) {
      if (f.table === table && (f.unit === undefined || f.unit === unit) && f.address >= start && f.address < start + count) return f.code;
    }
    return undefined;
  }
}
