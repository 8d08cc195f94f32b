import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ModbusTable } from './config.js';

/** Function codes of the four read requests, the only ones the gateway sends. */
const READ_FUNCTION: Record<ModbusTable, number> = { coil: 1, discrete: 2, holding: 3, input: 4 };
/** MBAP header: transaction id, protocol id, length (of unit id + PDU). */
const MBAP_LENGTH = 6;
/** Largest Modbus TCP ADU length field: unit id + 253-byte PDU. */
const MAX_LENGTH_FIELD = 254;
/** How long close() waits for the peer's FIN before it destroys the socket. */
const CLOSE_GRACE_MS = 1000;

/** A reply that did not come: classified by the link as a timeout (same name as modbus-serial's). */
export class TransactionTimedOutError extends Error {
  override readonly name = 'TransactionTimedOutError';
  constructor() {
    super('Timed out');
  }
}

/** The slave answered with a Modbus exception; the link turns `modbusCode` into its quality. */
export class ModbusExceptionReply extends Error {
  constructor(readonly modbusCode: number) {
    super(`Modbus exception ${modbusCode}`);
  }
}

interface Pending {
  tid: number;
  unitId: number;
  fc: number;
  count: number;
  resolve(data: number[] | boolean[]): void;
  reject(e: Error): void;
}

/**
 * Modbus TCP (MBAP) client for the read functions, written for the polling hot path: one 12-byte
 * write per request, the reply parsed straight from the socket's chunk into the array of values,
 * one reusable timer per connection (re-armed, not re-created), no per-request closures beyond the
 * promise. modbus-serial's TCP path did, per request, a CRC over the request and again over the
 * reply (which TCP does not carry), a Buffer.concat per chunk, a write-ordering promise, a
 * transaction record and a timer; at 1,000 requests a second that was most of the adapter's cost
 * besides the socket write itself. modbus-serial stays for RTU and RTU over TCP.
 *
 * Behaviour kept from the modbus-serial path: transaction ids (a late reply to a timed-out request
 * carries an old id and is dropped), the reply's unit id, function code and length checked (a
 * mismatch is a communication error and the link replaces the connection), exception replies
 * reported with their code. One request at a time: the link never pipelines.
 */
export class ModbusTcpTransport {
  private readonly socket: Socket;
  private tid = 0;
  private pending: Pending | undefined;
  /** Bytes of a reply split across TCP segments, kept until the rest arrives. */
  private partial: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  /** performance.now() by which the request in flight must be answered. */
  private deadline = 0;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    // onread: replies land in one buffer kept by the connection and come to onData directly, without
    // a Buffer per read and the stream's push / 'data' event machinery. (Node reads the option in
    // the Socket constructor; @types/node declares it only on the connect options.)
    const onread: OnReadOpts = { buffer: Buffer.allocUnsafe(1024), callback: (n, buf) => this.onData(buf as Buffer, n) };
    this.socket = new Socket({ onread } as SocketConstructorOpts);
    this.socket.on('close', () => this.handleClose());
    // The error is reported by 'close' (and by open()'s rejection); without a listener it would crash the gateway.
    this.socket.on('error', () => undefined);
  }

  /** Connects; rejects when the connection is refused or fails before it opens. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.socket.once('error', onError);
      this.socket.connect({ host: this.host, port: this.port }, () => {
        this.socket.off('error', onError);
        this.socket.setNoDelay(true);
        resolve();
      });
    });
  }

  /** Called once when the connection closes (peer, error or close()). */
  onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  /** Reads `count` registers or bits; settles within `timeoutMs` (TransactionTimedOutError) or on close. */
  read(unitId: number, table: ModbusTable, start: number, count: number, timeoutMs: number): Promise<number[] | boolean[]> {
    return new Promise((resolve, reject) => {
      if (this.closed || !this.socket.writable) return reject(new Error('Port Not Open'));
      if (this.pending) return reject(new Error('a request is already in flight on this connection'));
      const tid = (this.tid = (this.tid + 1) & 0xffff);
      const fc = READ_FUNCTION[table];
      this.pending = { tid, unitId, fc, count, resolve, reject };
      this.deadline = performance.now() + timeoutMs;
      this.armTimer(timeoutMs);
      // A fresh buffer per request: a write the kernel did not take at once is still queued in it.
      const b = Buffer.allocUnsafe(12);
      b.writeUInt16BE(tid, 0);
      b.writeUInt16BE(0, 2);
      b.writeUInt16BE(6, 4);
      b[6] = unitId;
      b[7] = fc;
      b.writeUInt16BE(start, 8);
      b.writeUInt16BE(count, 10);
      this.socket.write(b);
    });
  }

  /** Fails the request in flight, if any, with `e` (the link's connection-lost error). */
  abort(e: Error): void {
    this.settle(undefined, e);
  }

  /** Closes the connection (FIN; destroyed if the peer does not close within a second); `done` once closed. */
  close(done: () => void): void {
    if (this.socket.destroyed) {
      this.handleClose();
      done();
      return;
    }
    this.socket.once('close', () => done());
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private armTimer(ms: number): void {
    // One timer per connection, re-armed per request: refresh() moves its start to now.
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.onTimeout(), ms);
    // The socket keeps the process alive while a request is in flight.
    this.timer.unref();
  }

  private onTimeout(): void {
    if (!this.pending) return;
    // A timer refreshed while the timers list it sits in is being run may fire at once (it is
    // measured from the loop's cached clock): the request's own deadline decides.
    const early = this.deadline - performance.now();
    if (early > 1) {
      this.timer = setTimeout(() => this.onTimeout(), early);
      this.timer.unref();
      this.timerMs = -1;
      return;
    }
    this.settle(undefined, new TransactionTimedOutError());
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.partial = undefined;
    // The listeners first: the link fails the request in flight with its own reason.
    for (const fn of this.closeListeners.splice(0)) fn();
    this.settle(undefined, new Error('connection closed'));
  }

  private settle(data: number[] | boolean[] | undefined, error?: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (error) p.reject(error);
    else p.resolve(data!);
  }

  /** `end` bytes arrived at the start of `chunk` (the connection's read buffer, reused by the next read). Returns true: keep reading. */
  private onData(chunk: Buffer, end: number): true {
    let buf = chunk;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk.subarray(0, end)]);
      end = buf.length;
      this.partial = undefined;
    }
    let off = 0;
    while (end - off >= MBAP_LENGTH) {
      const length = buf.readUInt16BE(off + 4);
      if (length < 2 || length > MAX_LENGTH_FIELD || buf.readUInt16BE(off + 2) !== 0) {
        // Not Modbus TCP framing: nothing after it can be trusted to start a frame.
        this.settle(undefined, new Error(`invalid MBAP header (length ${length})`));
        this.socket.destroy();
        return true;
      }
      if (end - off < MBAP_LENGTH + length) break;
      this.onFrame(buf, off, length);
      off += MBAP_LENGTH + length;
    }
    // Copied: the read buffer is overwritten by the next read.
    if (off < end) this.partial = Buffer.from(buf.subarray(off, end));
    return true;
  }

  /** One complete ADU at `off`; `length` is its MBAP length field (unit id + PDU). */
  private onFrame(buf: Buffer, off: number, length: number): void {
    const p = this.pending;
    // No request waiting for this id: the late reply to one that timed out. Dropped, as modbus-serial does.
    if (!p || buf.readUInt16BE(off) !== p.tid) return;
    const unit = buf[off + 6]!;
    const fc = buf[off + 7]!;
    if (fc === (p.fc | 0x80) && length >= 3) return this.settle(undefined, new ModbusExceptionReply(buf[off + 8]!));
    if (unit !== p.unitId) return this.settle(undefined, new Error(`Unexpected data error, expected address ${p.unitId} got ${unit}`));
    if (fc !== p.fc) return this.settle(undefined, new Error(`Unexpected data error, expected code ${p.fc} got ${fc}`));
    const bytes = p.fc <= 2 ? (p.count + 7) >> 3 : p.count * 2;
    if (length !== 3 + bytes || buf[off + 8] !== bytes) {
      return this.settle(undefined, new Error(`Data length error, expected ${bytes} data bytes got ${length - 3}`));
    }
    const at = off + 9;
    if (p.fc <= 2) {
      // As modbus-serial: every bit of the bytes received, least significant first.
      const bits = new Array<boolean>(bytes * 8);
      for (let i = 0; i < bytes; i++) {
        const byte = buf[at + i]!;
        for (let j = 0; j < 8; j++) bits[i * 8 + j] = ((byte >> j) & 1) === 1;
      }
      return this.settle(bits);
    }
    const regs = new Array<number>(p.count);
    for (let i = 0; i < p.count; i++) regs[i] = (buf[at + 2 * i]! << 8) | buf[at + 2 * i + 1]!;
    this.settle(regs);
  }
}
