import { performance } from 'node:perf_hooks';
import { ModbusClient } from './modbus-serial.js';
import { ModbusTcpTransport } from './tcp-transport.js';
import type { ModbusTable } from './config.js';
import type { Logger } from '../../gateway/core/logger.js';
import { RateLimitedLog } from '../../gateway/core/rate-limited-log.js';

/** Where a link goes. Serial ports and serial device servers are shared by every device on that bus. */
export type LinkSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu-over-tcp'; host: string; port: number }
  | { kind: 'rtu'; path: string; baudRate: number; dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 };

export function describeLink(spec: LinkSpec): string {
  return spec.kind === 'rtu' ? `${spec.path} ${spec.baudRate} ${spec.dataBits}${spec.parity[0]!.toUpperCase()}${spec.stopBits}` : `${spec.kind}://${spec.host}:${spec.port}`;
}

/** notConnected: refused at once while the link waits out its reconnect backoff (no bytes were sent). */
export type RequestErrorKind = 'exception' | 'timeout' | 'comm' | 'connect' | 'notConnected';

/** A failed request, classified so the poller can pick the quality and the remedy. */
export class ModbusRequestError extends Error {
  constructor(
    readonly kind: RequestErrorKind,
    message: string,
    /** Modbus exception code, for kind 'exception'. */
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusRequestError';
  }
}

const EXCEPTION_TEXT: Record<number, string> = {
  1: '非法功能码 illegal function',
  2: '非法数据地址 illegal data address',
  3: '非法数据值 illegal data value',
  4: '从站设备故障 slave device failure',
  5: 'acknowledge',
  6: '从站忙 slave device busy',
  8: 'memory parity error',
  10: '网关路径不可用 gateway path unavailable',
  11: '网关目标设备无响应 gateway target device failed to respond',
};

/** Turns whatever modbus-serial threw into a ModbusRequestError. */
export function classifyModbusError(err: unknown): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const e = (err ?? {}) as { modbusCode?: number; name?: string; errno?: string; code?: string; message?: string };
  if (typeof e.modbusCode === 'number') {
    // 0x0B: a Modbus TCP gateway found no answer on its serial side, which is a timeout of that slave.
    if (e.modbusCode === 11) return new ModbusRequestError('timeout', `Modbus exception 11: ${EXCEPTION_TEXT[11]}`, 11);
    return new ModbusRequestError('exception', `Modbus exception ${e.modbusCode}: ${EXCEPTION_TEXT[e.modbusCode] ?? 'unknown'}`, e.modbusCode);
  }
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT' || e.code === 'ETIMEDOUT') {
    return new ModbusRequestError('timeout', '应答超时 no reply within timeout');
  }
  return new ModbusRequestError('comm', `通讯错误 ${e.message ?? String(err)}`);
}

export interface RequestTiming {
  timeoutMs: number;
  /** Silence before the request (RTU inter-frame gap). */
  interFrameDelayMs: number;
  /** Extra silence when the previous request went unanswered. */
  turnaroundDelayMs: number;
}

export interface ReadResult {
  data: number[] | boolean[];
  rttMs: number;
}

interface Job {
  unitId: number;
  table: ModbusTable;
  start: number;
  count: number;
  timing: RequestTiming;
  resolve(r: ReadResult): void;
  reject(e: ModbusRequestError): void;
}

/**
 * What a link sends its requests over: the lean Modbus TCP client (tcp-transport.ts) for direct TCP,
 * modbus-serial for RTU and RTU over TCP. A read always settles: on its reply, its timeout, abort()
 * or the connection closing.
 */
interface Transport {
  read(unitId: number, table: ModbusTable, start: number, count: number, timeoutMs: number): Promise<number[] | boolean[]>;
  /** Fails the request in flight, if any. */
  abort(e: ModbusRequestError): void;
  close(done: () => void): void;
  onClose(fn: () => void): void;
}

export interface LinkOptions {
  connectDelayMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
  /** Direct TCP only: unanswered requests in a row after which the connection is replaced (default 2). */
  dropAfterTimeouts?: number;
  log: Logger;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One connection to a Modbus endpoint with exactly one request in flight: RS-485 is half duplex,
 * serial device servers forward one frame at a time, and many TCP devices mishandle pipelined
 * requests. Requests wait in a FIFO; callers never enqueue more than one request per poll group,
 * so the queue is bounded by the number of groups using the link.
 *
 * Connection failures back off exponentially with ±20 % jitter (a plant full of gateways must not
 * reconnect in lock-step after a switch reboot); while backing off, requests fail at once instead of
 * waiting, so a dead link costs its devices nothing but Bad quality.
 */
export class ModbusLink {
  private client: Transport | undefined;
  private readonly queue: Job[] = [];
  private busy = false;
  private closed = false;
  private backoffMs: number;
  private nextConnectAt = 0;
  private lastEnd = 0;
  private lastTimedOut = false;
  private consecutiveTimeouts = 0;
  /** Unit ids asked on this link, and those silent since the last reply of any unit. */
  private readonly unitsSeen = new Set<number>();
  private readonly silentUnits = new Set<number>();
  /** A request is out on the connection (drop() fails it through the transport's abort). */
  private inflight = false;
  /** Incremented on every successful connect; the poller counts reconnects from it. */
  connects = 0;
  /** Told when an open connection is lost while no request was in flight (that request reports its own error). */
  readonly onIdleDisconnect = new Set<(reason: string) => void>();
  /** A dead or flapping device logs once per backoff step, with a count, not once per attempt. */
  private readonly limited: RateLimitedLog;

  constructor(
    readonly spec: LinkSpec,
    readonly options: LinkOptions,
  ) {
    this.backoffMs = options.reconnectMinMs;
    this.limited = new RateLimitedLog(options.log);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** ms until the next connection attempt (0 when connected or due). */
  get retryInMs(): number {
    return this.client ? 0 : Math.max(0, this.nextConnectAt - Date.now());
  }

  read(unitId: number, table: ModbusTable, start: number, count: number, timing: RequestTiming): Promise<ReadResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ModbusRequestError('comm', 'link closed'));
      this.queue.push({ unitId, table, start, count, timing, resolve, reject });
      // pump settles every job itself; a rejection here would be a bug in it, so say so.
      this.pump().catch((err: unknown) => this.options.log.error(`Modbus 请求队列异常 [request queue failed]: ${String(err)}`));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new ModbusRequestError('comm', 'link closed'));
    await this.drop('closed');
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        try {
          job.resolve(await this.execute(job));
        } catch (err) {
          job.reject(classifyModbusError(err));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async ensureConnected(): Promise<Transport> {
    if (this.client) return this.client;
    if (this.closed) throw new ModbusRequestError('comm', 'link closed');
    const wait = this.nextConnectAt - Date.now();
    if (wait > 0) throw new ModbusRequestError('notConnected', `未连接 not connected (${describeLink(this.spec)}); next attempt in ${Math.ceil(wait)} ms`);
    const { client, opening } = this.open();
    try {
      await withTimeout(opening, this.options.connectTimeoutMs, () => new ModbusRequestError('connect', `连接超时 connect timed out after ${this.options.connectTimeoutMs} ms`));
    } catch (err) {
      const closeQuietly = () => {
        try {
          client.close(() => undefined);
        } catch {
          /* the port never opened */
        }
      };
      closeQuietly();
      // A connection that completes after we gave up must not linger as a leaked socket.
      opening.then(closeQuietly, () => undefined);
      const jittered = this.backoffMs * (0.8 + Math.random() * 0.4);
      this.nextConnectAt = Date.now() + jittered;
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs);
      const reason = err instanceof ModbusRequestError ? err.message : `连接失败 cannot connect: ${(err as Error)?.message ?? err}`;
      this.limited.warn('connect', `${describeLink(this.spec)}: ${reason}; retrying in ${Math.round(jittered)} ms`);
      throw new ModbusRequestError('connect', reason);
    }
    if (this.closed) {
      client.close(() => undefined);
      throw new ModbusRequestError('comm', 'link closed');
    }
    client.onClose(() => {
      if (this.client === client) this.drop('peer closed the connection').catch((err: unknown) => this.options.log.debug(`close after peer close: ${String(err)}`));
    });
    this.client = client;
    this.connects++;
    this.backoffMs = this.options.reconnectMinMs;
    this.consecutiveTimeouts = 0;
    this.silentUnits.clear();
    const failedAttempts = this.limited.clear('connect');
    this.limited.info('connected', `connected to ${describeLink(this.spec)}`, failedAttempts > 0 ? { failedAttemptsNotLogged: failedAttempts } : undefined);
    if (this.options.connectDelayMs > 0) await sleep(this.options.connectDelayMs);
    return client;
  }

  private open(): { client: Transport; opening: Promise<void> } {
    const s = this.spec;
    if (s.kind === 'tcp') {
      const client = new ModbusTcpTransport(s.host, s.port);
      return { client, opening: client.open() };
    }
    const client = new ModbusClient();
    // modbus-serial re-emits port errors; without a listener an 'error' event would crash the gateway.
    client.on('error', (e: unknown) => this.options.log.debug(`port error: ${(e as Error)?.message ?? e}`));
    // modbus-serial's "TcpRTUBuffered" port speaks MBAP; its telnet port sends plain RTU frames over TCP.
    const opening =
      s.kind === 'rtu-over-tcp'
        ? client.connectTelnet(s.host, { port: s.port })
        : client.connectRTUBuffered(s.path, { baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits });
    return { client: new SerialTransport(client), opening };
  }

  private async drop(reason: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const inflight = this.inflight;
    if (inflight) client?.abort(new ModbusRequestError('comm', `连接断开 connection lost: ${reason}`));
    if (!client) return;
    if (!inflight && !this.closed) for (const l of this.onIdleDisconnect) l(reason);
    if (!this.closed) {
      // Reconnect soon, not at once: a device that just dropped us often refuses for a moment.
      this.nextConnectAt = Date.now() + this.backoffMs * (0.8 + Math.random() * 0.4);
      this.limited.warn('drop', `${describeLink(this.spec)}: ${reason}`);
    }
    await new Promise<void>((resolve) => {
      try {
        client.close(() => resolve());
      } catch {
        resolve();
      }
      setTimeout(resolve, 500).unref();
    });
  }

  private async execute(job: Job): Promise<ReadResult> {
    // Connected (the usual case): no await, so no extra promise and microtask hop per request.
    const client = this.client ?? (await this.ensureConnected());
    const silence = job.timing.interFrameDelayMs + (this.lastTimedOut ? job.timing.turnaroundDelayMs : 0);
    const waitMs = this.lastEnd + silence - performance.now();
    if (waitMs >= 1) await sleep(waitMs);
    if (this.client !== client) throw new ModbusRequestError('comm', '连接断开 connection lost');
    this.unitsSeen.add(job.unitId);
    const t0 = performance.now();
    this.inflight = true;
    try {
      const data = await client.read(job.unitId, job.table, job.start, job.count, job.timing.timeoutMs);
      this.lastTimedOut = false;
      this.consecutiveTimeouts = 0;
      this.silentUnits.clear();
      return { data, rttMs: performance.now() - t0 };
    } catch (err) {
      const e = classifyModbusError(err);
      if (e.kind === 'exception') {
        this.lastTimedOut = false;
        this.consecutiveTimeouts = 0;
        this.silentUnits.clear();
      } else if (e.kind === 'timeout') {
        this.lastTimedOut = true;
        this.consecutiveTimeouts++;
        // On a direct TCP link, repeated silence means a half-open connection (cable cut, device
        // rebooted without FIN): only a new connection recovers. On a bus, one silent slave is normal.
        this.silentUnits.add(job.unitId);
        const limit = this.options.dropAfterTimeouts ?? 2;
        // Only when every unit on the connection is silent: a TCP gateway with one dead slave behind
        // it is a healthy connection, and dropping it would blank the live slaves too.
        if (this.spec.kind === 'tcp' && this.consecutiveTimeouts >= limit && this.silentUnits.size >= this.unitsSeen.size) {
          await this.drop(`no reply to ${this.consecutiveTimeouts} requests in a row`);
        }
      } else {
        await this.drop(e.message);
      }
      throw e;
    } finally {
      this.inflight = false;
      this.lastEnd = performance.now();
    }
  }
}

/**
 * modbus-serial (RTU on a serial port, RTU frames over TCP) behind the link's Transport.
 *
 * modbus-serial can leave a promise unsettled when the port closes under it; the abort hook and our
 * own deadline guarantee the link's queue always moves on.
 */
class SerialTransport implements Transport {
  private abortInflight: ((e: ModbusRequestError) => void) | undefined;

  constructor(private readonly client: ModbusClient) {}

  read(unitId: number, table: ModbusTable, start: number, count: number, timeoutMs: number): Promise<number[] | boolean[]> {
    const client = this.client;
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    return new Promise<number[] | boolean[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(deadline);
        this.abortInflight = undefined;
        forgetFinishedTransactions(client);
      };
      const deadline = setTimeout(() => {
        done();
        reject(new ModbusRequestError('timeout', '应答超时 no reply within timeout'));
      }, timeoutMs + 250);
      this.abortInflight = (e) => {
        done();
        reject(e);
      };
      readTable(client, table, start, count).then(
        (d) => {
          done();
          resolve(d);
        },
        (e: unknown) => {
          done();
          reject(classifyModbusError(e));
        },
      );
    });
  }

  abort(e: ModbusRequestError): void {
    this.abortInflight?.(e);
  }

  close(done: () => void): void {
    this.client.close(done);
  }

  onClose(fn: () => void): void {
    this.client.on('close', fn);
  }
}

/**
 * modbus-serial keeps every transaction it sent in `_transactions` (by transaction id, up to 256 per
 * TCP connection) until its id comes round again, and each holds its reply through the promise it
 * resolved: at 10 requests a second, 25 s of replies per device, all old enough to be promoted to V8's
 * old space. A link has one request in flight, so once it has finished none of them is needed: a late
 * reply to a timed-out request finds no transaction and is dropped, as modbus-serial does with an
 * unknown transaction id. (The same object its close() resets.)
 */
function forgetFinishedTransactions(client: ModbusClient): void {
  const c = client as unknown as { _transactions?: unknown };
  if (c._transactions !== null && typeof c._transactions === 'object') c._transactions = {};
}

function readTable(client: ModbusClient, table: ModbusTable, start: number, count: number): Promise<number[] | boolean[]> {
  switch (table) {
    case 'coil':
      return client.readCoils(start, count).then((r) => r.data);
    case 'discrete':
      return client.readDiscreteInputs(start, count).then((r) => r.data);
    case 'input':
      return client.readInputRegisters(start, count).then((r) => r.data);
    case 'holding':
      return client.readHoldingRegisters(start, count).then((r) => r.data);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Links shared by every device on one bus: a serial port, or one serial device server port. */
const shared = new Map<string, { link: ModbusLink; users: number; specJson: string }>();

export function linkKey(spec: LinkSpec): string {
  return spec.kind === 'rtu' ? `rtu:${spec.path}` : `${spec.kind}:${spec.host}:${spec.port}`;
}

/**
 * The link for a bus, created on first use. Devices on one bus must agree on the line settings;
 * a mismatch is a configuration error the caller reports.
 */
export function acquireSharedLink(spec: LinkSpec, options: LinkOptions): ModbusLink {
  const key = linkKey(spec);
  const specJson = JSON.stringify(spec);
  const entry = shared.get(key);
  if (entry) {
    if (entry.specJson !== specJson) {
      throw new Error(`设备与同一总线上的其他设备串口参数不一致 line settings differ from another device on ${key}: ${specJson} vs ${entry.specJson}`);
    }
    entry.users++;
    return entry.link;
  }
  const link = new ModbusLink(spec, options);
  shared.set(key, { link, users: 1, specJson });
  return link;
}

export async function releaseSharedLink(link: ModbusLink): Promise<void> {
  const key = linkKey(link.spec);
  const entry = shared.get(key);
  if (!entry || entry.link !== link) return;
  entry.users--;
  if (entry.users <= 0) {
    shared.delete(key);
    await link.close();
  }
}
