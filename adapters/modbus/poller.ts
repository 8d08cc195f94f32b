import type { Adapter, AdapterContext, PointPublisher } from '../types.js';
import type { QualityCode } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { Logger } from '../../gateway/core/logger.js';
import { RateLimitedLog } from '../../gateway/core/rate-limited-log.js';
import { defaultInterFrameDelayMs, pointWidth, type ModbusDevice, type ModbusPoint } from './config.js';
import { decodeRegistersAt, registerBit, type NumericDataType } from './decode.js';
import { planDevice, planReads, planOptionsFor, type ReadBlock } from './plan.js';
import { scaleValue, type ScaledValue } from '../shared/scaling.js';
import { formatReference } from './address.js';
import { acquireSharedLink, describeLink, ModbusLink, ModbusRequestError, releaseSharedLink, type LinkSpec, type RequestTiming } from './link.js';
import { commOkPointId } from './diagnostics.js';
import { observeInto, type HistogramSeries, type Series } from '../../gateway/core/metrics.js';

/** Exceptions that concern the addresses asked for: splitting the request finds the offending one. */
const ADDRESS_EXCEPTIONS = new Set([2, 3]);
/** Consecutive unanswered requests after which a slave is polled only at its backoff interval. */
const SILENT_SLAVE_AFTER = 2;
/** comm_ok is re-published at least this often, so a late subscriber and stale-data rules see it. */
const DIAGNOSTIC_REFRESH_MS = 10_000;
const JITTER_SAMPLES = 4096;

export interface ModbusDeviceStats {
  requests: number;
  errors: Record<'exception' | 'timeout' | 'comm' | 'connect', number>;
  overruns: number;
  rttMsAvg: number;
  rttMsMax: number;
  lastGoodPollAt: number | undefined;
  commOk: boolean | undefined;
  reconnects: number;
  /** Recent poll start delays behind schedule, ms. */
  jitterMs: number[];
  /** Point ids read alone because the device rejected them inside a merged request. */
  isolated: string[];
}

interface Group {
  intervalMs: number;
  points: ModbusPoint[];
  blocks: ReadBlock[];
  running: Promise<void> | undefined;
  nextAt: number;
  timer: NodeJS.Timeout | undefined;
  /** The group's timer callback, made once (not a closure per poll). */
  fire: () => void;
}

/** A planned request with what its reads need at hand: the publisher of each point, in block.points order. */
type PolledBlock = ReadBlock & { publishers?: readonly PointPublisher[]; decoder?: BlockDecoder };

interface UnitHealth {
  ok: boolean | undefined;
  silentCount: number;
  backoffMs: number;
  skipUntil: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function qualityOf(e: ModbusRequestError): QualityCode {
  switch (e.kind) {
    case 'exception':
      return e.exceptionCode === 2 ? 'BadConfigurationError' : 'BadDeviceFailure';
    case 'timeout':
      return 'BadTimeout';
    default:
      return 'BadCommunicationError';
  }
}

/** Decodes one point out of a block's reply. */
export function decodePoint(p: ModbusPoint, block: Pick<ReadBlock, 'start'>, data: readonly (number | boolean)[]): Omit<ScaledValue, 'value'> & { value: number | boolean | null } {
  const offset = p.address - block.start;
  if (p.table === 'coil' || p.table === 'discrete') return { value: Boolean(data[offset]), quality: 'Good' };
  if (p.bit !== undefined) return { value: registerBit(Number(data[offset]), p.bit), quality: 'Good' };
  if (data.length < offset + pointWidth(p)) return { value: null, quality: 'BadCommunicationError', reason: '应答过短 short reply' };
  return scaleValue(decodeRegistersAt(data as readonly number[], offset, p.dataType as NumericDataType, p.wordOrder), p.scale);
}

/**
 * decodePoint straight into the point's Reading: the poll loop's path (100 registers a request, 1,000
 * requests a second), without the intermediate value object for the common case of a register
 * scaled by a factor or not at all.
 */
export function decodeReading(p: ModbusPoint, start: number, data: readonly (number | boolean)[], now: number): Reading {
  const scale = p.scale;
  if (p.table === 'holding' || p.table === 'input') {
    const offset = p.address - start;
    if (p.bit === undefined && (scale === undefined || 'factor' in scale) && data.length >= offset + pointWidth(p)) {
      const raw = decodeRegistersAt(data as readonly number[], offset, p.dataType as NumericDataType, p.wordOrder);
      if (Number.isFinite(raw)) return { point: p.id, value: scale === undefined ? raw : raw * scale.factor + scale.offset, quality: 'Good', ts: now, receivedAt: now };
    }
  }
  const v = decodePoint(p, { start }, data);
  const reading: Reading = { point: p.id, value: v.value, quality: v.quality, ts: now, receivedAt: now };
  if (v.reason) reading.reason = v.reason;
  return reading;
}

/**
 * decodeReading for the points of one planned request, with what can be settled once settled once:
 * a plain 16-bit register (no bit, no byte swap, scaled by a factor or not at all) is decoded from a
 * code, its offset in the reply and its factor and offset kept in typed arrays. The per-reading path
 * then compares no config strings (table, data type, word order: text from the config file, not
 * interned, so each === is a character compare) and follows no pointer to the scale object.
 * Everything else goes through decodeReading.
 */
export class BlockDecoder {
  /** 0: decodeReading; 1: uint16; 2: int16. */
  private readonly kind: Uint8Array;
  private readonly offset: Int32Array;
  private readonly factor: Float64Array;
  private readonly add: Float64Array;
  /** The points' ids in one array: a reading needs only the id, not the point's config object. */
  private readonly ids: readonly string[];

  constructor(
    private readonly points: readonly ModbusPoint[],
    private readonly start: number,
  ) {
    const n = points.length;
    this.kind = new Uint8Array(n);
    this.offset = new Int32Array(n);
    this.factor = new Float64Array(n);
    this.add = new Float64Array(n);
    this.ids = points.map((p) => p.id);
    points.forEach((p, i) => {
      const scale = p.scale;
      const plain =
        (p.table === 'holding' || p.table === 'input') &&
        p.bit === undefined &&
        (p.dataType === 'uint16' || p.dataType === 'int16') &&
        p.wordOrder !== 'BADC' &&
        p.wordOrder !== 'DCBA' &&
        (scale === undefined || 'factor' in scale);
      if (!plain) return;
      this.kind[i] = p.dataType === 'int16' ? 2 : 1;
      this.offset[i] = p.address - start;
      this.factor[i] = scale === undefined ? 1 : scale.factor;
      this.add[i] = scale === undefined ? 0 : scale.offset;
    });
  }

  /** The Reading of point `i` (of the points given) from a reply. */
  decode(i: number, data: readonly (number | boolean)[], now: number): Reading {
    const kind = this.kind[i]!;
    const offset = this.offset[i]!;
    if (kind !== 0 && offset < data.length) {
      let w = (data[offset] as number) & 0xffff;
      if (kind === 2) w = (w << 16) >> 16;
      const f = this.factor[i]!;
      const a = this.add[i]!;
      // Unscaled points keep the register's own number (raw * 1 + 0 is the same number).
      return { point: this.ids[i]!, value: f === 1 && a === 0 ? w : w * f + a, quality: 'Good', ts: now, receivedAt: now };
    }
    return decodeReading(this.points[i]!, this.start, data, now);
  }
}

export function linkSpecOf(device: ModbusDevice): LinkSpec {
  switch (device.type) {
    case 'modbus-tcp':
      return { kind: 'tcp', host: device.host, port: device.port };
    case 'modbus-rtu-over-tcp':
      return { kind: 'rtu-over-tcp', host: device.host, port: device.port };
    case 'modbus-rtu':
      return { kind: 'rtu', path: device.serialPort, baudRate: device.baudRate, dataBits: device.dataBits, parity: device.parity, stopBits: device.stopBits };
  }
}

/**
 * Polls one Modbus device (one config entry; it may span several unit ids) over a link.
 *
 * - Poll groups run on a fixed-rate schedule. A group whose previous cycle is still running when its
 *   time comes is counted as an overrun and skipped, never queued.
 * - A Modbus exception marks only the points of that request Bad. An address exception (2, 3) on a
 *   merged request splits it in halves until the offending point is found; the split is remembered,
 *   so later polls do not pay for it again.
 * - A slave that stops answering is polled only at its backoff interval, so on a shared bus it stops
 *   eating the other slaves' time.
 * - `<device>.comm_ok` is a synthetic boolean point that rules can alarm on.
 */
export class ModbusDeviceAdapter implements Adapter {
  readonly deviceId: string;
  private link: ModbusLink | undefined;
  private readonly groups: Group[];
  private readonly isolated = new Set<string>();
  private readonly breaks = new Set<string>();
  private replanNeeded = false;
  private readonly units = new Map<number, UnitHealth>();
  private stopped = true;
  private readonly log: Logger;
  /** Silent units and failing poll cycles repeat every poll; they log once per backoff step. */
  private readonly limited: RateLimitedLog;
  private readonly timing: RequestTiming;
  private commOk: boolean | undefined;
  private commOkPublishedAt = 0;
  private readonly stat = { requests: 0, errors: { exception: 0, timeout: 0, comm: 0, connect: 0 }, overruns: 0, rttSum: 0, rttCount: 0, rttMax: 0, lastGood: undefined as number | undefined };
  private readonly jitter: number[] = [];
  private jitterPos = 0;
  private readonly labels: { device: string };
  /** The series updated on every request, looked up once (each lookup builds a key from the labels). */
  private readonly series: { requests?: Series; rtt?: HistogramSeries; lastGood?: Series } = {};

  constructor(
    readonly device: ModbusDevice,
    private readonly ctx: AdapterContext,
  ) {
    this.deviceId = device.id;
    this.labels = { device: device.id };
    this.log = ctx.log.child(`modbus:${device.id}`);
    this.limited = new RateLimitedLog(this.log);
    this.groups = planDevice(device).map((g) => {
      const group: Group = { ...g, running: undefined, nextAt: 0, timer: undefined, fire: () => this.tick(group) };
      return group;
    });
    const rtu = device.type !== 'modbus-tcp';
    this.timing = {
      timeoutMs: device.timeout,
      interFrameDelayMs: device.type === 'modbus-rtu' ? (device.interFrameDelay ?? defaultInterFrameDelayMs(device.baudRate)) : rtu ? (device.interFrameDelay ?? 0) : 0,
      turnaroundDelayMs: device.type === 'modbus-tcp' ? 0 : device.turnaroundDelay,
    };
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const spec = linkSpecOf(this.device);
    const options = {
      connectDelayMs: this.device.connectDelay,
      reconnectMinMs: this.device.reconnectMin,
      reconnectMaxMs: this.device.reconnectMax,
      connectTimeoutMs: Math.max(1000, this.device.timeout * 2),
      // Retries of one poll happen on the same connection; replace it only when a whole poll and the
      // next first attempt went unanswered.
      dropAfterTimeouts: this.device.retries + 2,
      log: this.log,
    };
    try {
      this.link = spec.kind === 'tcp' ? new ModbusLink(spec, options) : acquireSharedLink(spec, options);
    } catch (err) {
      this.log.error((err as Error).message);
      this.publishBad(this.device.points, 'BadConfigurationError', (err as Error).message);
      return;
    }
    this.link.onIdleDisconnect.add(this.onIdleDisconnect);
    this.log.info(`polling ${this.device.points.length} points over ${describeLink(spec)} in ${this.groups.reduce((n, g) => n + g.blocks.length, 0)} requests`);
    const now = Date.now();
    for (const g of this.groups) {
      // Spread first polls over the interval so many devices do not all fire in the same millisecond.
      g.nextAt = now + Math.round(Math.random() * Math.min(g.intervalMs, 1000));
      this.arm(g);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const g of this.groups) if (g.timer) clearTimeout(g.timer);
    const link = this.link;
    this.link = undefined;
    if (link) {
      link.onIdleDisconnect.delete(this.onIdleDisconnect);
      if (link.spec.kind === 'tcp') await link.close();
      else await releaseSharedLink(link);
    }
    await Promise.all(this.groups.flatMap((g) => (g.running ? [g.running] : [])));
  }

  private readonly onIdleDisconnect = (): void => {
    this.stat.errors.comm++;
    this.ctx.metrics.inc('modbus_errors', { ...this.labels, kind: 'comm' });
  };

  stats(): ModbusDeviceStats {
    return {
      requests: this.stat.requests,
      errors: { ...this.stat.errors },
      overruns: this.stat.overruns,
      rttMsAvg: this.stat.rttCount ? this.stat.rttSum / this.stat.rttCount : 0,
      rttMsMax: this.stat.rttMax,
      lastGoodPollAt: this.stat.lastGood,
      commOk: this.commOk,
      reconnects: Math.max(0, (this.link?.connects ?? 1) - 1),
      jitterMs: [...this.jitter],
      isolated: [...this.isolated],
    };
  }

  private arm(g: Group): void {
    if (this.stopped) return;
    g.timer = setTimeout(g.fire, Math.max(0, g.nextAt - Date.now()));
  }

  private tick(g: Group): void {
    if (this.stopped) return;
    const now = Date.now();
    this.recordJitter(now - g.nextAt);
    if (g.running) {
      this.overrun();
    } else {
      // One settled-either-way handler, not .catch().finally(): a promise fewer per poll.
      const done = (): void => void (g.running = undefined);
      g.running = this.cycle(g).then(done, (err: unknown) => {
        done();
        this.limited.error('cycle', `轮询周期异常 [poll cycle failed]: ${err instanceof Error ? err.stack : String(err)}`);
      });
    }
    g.nextAt += g.intervalMs;
    // Behind by whole intervals (event loop blocked, laptop suspended): skip them, counted.
    while (g.nextAt <= now) {
      g.nextAt += g.intervalMs;
      this.overrun();
    }
    this.arm(g);
  }

  private overrun(): void {
    this.stat.overruns++;
    this.ctx.metrics.inc('modbus_poll_overruns', this.labels);
  }

  private recordJitter(ms: number): void {
    if (this.jitter.length < JITTER_SAMPLES) this.jitter.push(ms);
    else this.jitter[this.jitterPos++ % JITTER_SAMPLES] = ms;
  }

  private unit(id: number): UnitHealth {
    let u = this.units.get(id);
    if (!u) {
      u = { ok: undefined, silentCount: 0, backoffMs: this.device.reconnectMin, skipUntil: 0 };
      this.units.set(id, u);
    }
    return u;
  }

  private async cycle(g: Group): Promise<void> {
    let linkDown: ModbusRequestError | undefined;
    let first = true;
    for (const block of g.blocks) {
      if (this.stopped) return;
      if (linkDown) {
        this.publishBad(block.points, qualityOf(linkDown), linkDown.message);
        continue;
      }
      const unit = this.unit(block.unitId);
      if (unit.skipUntil > Date.now()) {
        this.publishBad(block.points, 'BadTimeout', `从站 ${block.unitId} 无应答，${Math.ceil(unit.skipUntil - Date.now())} ms 后重试 (slave silent, next probe later)`);
        continue;
      }
      if (!first && this.device.requestDelay > 0) await sleep(this.device.requestDelay);
      first = false;
      const failure = (await this.readBlock(block)).error;
      if (failure && (failure.kind === 'comm' || failure.kind === 'connect' || failure.kind === 'notConnected')) linkDown = failure;
    }
    if (this.replanNeeded) this.replan();
    this.updateCommOk(linkDown !== undefined);
  }

  /**
   * Reads one block, splitting it on address exceptions. `error`: the last failure, if any;
   * `direct`: read with this one request, no split needed.
   */
  private async readBlock(block: ReadBlock): Promise<{ error?: ModbusRequestError; direct: boolean }> {
    const link = this.link;
    if (!link) return { error: new ModbusRequestError('comm', 'stopped'), direct: false };
    const unit = this.unit(block.unitId);
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return { direct: false };
      try {
        const { data, rttMs } = await link.read(block.unitId, block.table, block.start, block.count, this.timing);
        this.countRequest(rttMs);
        this.unitAnswered(unit, block.unitId);
        const now = this.ctx.now();
        this.stat.lastGood = now;
        (this.series.lastGood ??= this.ctx.metrics.gaugeSeries('modbus_last_good_poll_timestamp_seconds', this.labels)).value = now / 1000;
        const points = block.points;
        const polled = block as PolledBlock;
        const publishers = polled.publishers ?? this.publishersOf(block);
        const decoder = (polled.decoder ??= new BlockDecoder(points, block.start));
        for (let i = 0; i < points.length; i++) publishers[i]!.publish(decoder.decode(i, data, now));
        return { direct: true };
      } catch (err) {
        const e = err instanceof ModbusRequestError ? err : new ModbusRequestError('comm', String(err));
        if (e.kind !== 'notConnected') {
          this.countRequest(undefined);
          this.stat.errors[e.kind]++;
          this.ctx.metrics.inc('modbus_errors', { ...this.labels, kind: e.kind });
        }
        if (e.kind === 'timeout' && attempt < this.device.retries && !this.stopped) continue;
        if (e.kind === 'exception') {
          this.unitAnswered(unit, block.unitId);
          if (ADDRESS_EXCEPTIONS.has(e.exceptionCode ?? 0)) {
            if (block.points.length > 1) return await this.split(block);
            const p = block.points[0]!;
            if (!this.isolated.has(p.id)) {
              this.isolated.add(p.id);
              this.replanNeeded = true;
              this.log.warn(`point ${p.id} at ${formatReference(p.table, p.address)} (unit ${block.unitId}) is rejected by the device: ${e.message}; it is now read on its own`);
            }
          }
          this.publishBad(block.points, qualityOf(e), `${e.message} (${formatReference(block.table, block.start)}, ${block.count})`);
          return { error: e, direct: false };
        }
        if (e.kind === 'timeout') this.unitSilent(unit, block.unitId);
        this.publishBad(block.points, qualityOf(e), e.message);
        return { error: e, direct: false };
      }
    }
  }

  /** The block's points' publishers (their bus channels), found at its first read and kept with it. */
  private publishersOf(block: ReadBlock): readonly PointPublisher[] {
    const ctx = this.ctx;
    const publishers = block.points.map((p) => ctx.publisherOf?.(p.id) ?? { publish: (r: Reading) => ctx.publish(r) });
    (block as PolledBlock).publishers = publishers;
    return publishers;
  }

  private async split(block: ReadBlock): Promise<{ error?: ModbusRequestError; direct: boolean }> {
    const mid = Math.ceil(block.points.length / 2);
    const halves = [block.points.slice(0, mid), block.points.slice(mid)];
    // Each half is one request again (it spans less than the failed one, so it fits the limits).
    const subs = halves.flatMap((points) => planReads(points, { ...planOptionsFor(this.device), onePointPerRequest: false, unitId: block.unitId, maxGap: 65535, maxBitGap: 65535 }));
    let last: ModbusRequestError | undefined;
    let allDirect = true;
    for (let i = 0; i < subs.length; i++) {
      const { error: e, direct } = await this.readBlock(subs[i]!);
      if (e && e.kind !== 'exception') {
        // The link failed mid-split: the halves not read yet must not keep stale Good values.
        for (const rest of subs.slice(i + 1)) this.publishBad(rest.points, qualityOf(e), e.message);
        return { error: e, direct: false };
      }
      last = e ?? last;
      allDirect &&= direct;
    }
    if (allDirect && halves[1]!.length > 0) {
      // Each half read fine with one request: the device rejects the unused addresses between them.
      // Remember not to merge across that hole. (Where a half needed splitting, the recursion has
      // already found the culprit inside it.)
      this.breaks.add(halves[1]![0]!.id);
      this.replanNeeded = true;
    }
    return last ? { error: last, direct: false } : { direct: false };
  }

  private replan(): void {
    this.replanNeeded = false;
    const memory = { isolated: this.isolated, breaks: this.breaks };
    const opts = planOptionsFor(this.device, memory);
    for (const g of this.groups) g.blocks = planReads(g.points, opts);
  }

  private countRequest(rttMs: number | undefined): void {
    this.stat.requests++;
    (this.series.requests ??= this.ctx.metrics.counterSeries('modbus_requests', this.labels)).value++;
    if (rttMs === undefined) return;
    this.stat.rttSum += rttMs;
    this.stat.rttCount++;
    if (rttMs > this.stat.rttMax) this.stat.rttMax = rttMs;
    observeInto((this.series.rtt ??= this.ctx.metrics.histogramSeries('modbus_request_duration_seconds', this.labels)), rttMs / 1000);
  }

  private unitAnswered(u: UnitHealth, id: number): void {
    if (u.silentCount >= SILENT_SLAVE_AFTER) {
      const missed = this.limited.clear(`unit:${id}`);
      this.log.info(`unit ${id} answers again`, missed > 0 ? { silentProbesNotLogged: missed } : undefined);
    }
    u.ok = true;
    u.silentCount = 0;
    u.skipUntil = 0;
    u.backoffMs = this.device.reconnectMin;
  }

  private unitSilent(u: UnitHealth, id: number): void {
    u.ok = false;
    u.silentCount++;
    if (u.silentCount >= SILENT_SLAVE_AFTER) {
      const wait = u.backoffMs * (0.8 + Math.random() * 0.4);
      u.skipUntil = Date.now() + wait;
      u.backoffMs = Math.min(u.backoffMs * 2, this.device.reconnectMax);
      this.limited.warn(`unit:${id}`, `从站 ${id} 无应答 [unit does not answer]; next probe in ${Math.round(wait)} ms`);
    }
  }

  private updateCommOk(linkDown: boolean): void {
    // Once per poll: a plain loop, not three arrays (spread, map, filter) per poll.
    let known = false;
    let ok = true;
    for (const u of this.units.values()) {
      if (linkDown) u.ok = false;
      if (u.ok === undefined) continue;
      known = true;
      ok &&= u.ok;
    }
    if (!known) return;
    const now = this.ctx.now();
    if (ok === this.commOk && now - this.commOkPublishedAt < DIAGNOSTIC_REFRESH_MS) return;
    if (ok !== this.commOk && this.commOk !== undefined) this.log.warn(ok ? '通讯恢复 communication restored' : '通讯中断 communication lost');
    this.commOk = ok;
    this.commOkPublishedAt = now;
    this.ctx.metrics.set('modbus_comm_ok', ok ? 1 : 0, this.labels);
    this.ctx.publish({ point: commOkPointId(this.device.id), value: ok, quality: 'Good', ts: now, receivedAt: now });
  }

  private publishBad(points: readonly ModbusPoint[], quality: QualityCode, reason: string): void {
    const now = this.ctx.now();
    for (const p of points) this.ctx.publish({ point: p.id, value: null, quality, ts: now, receivedAt: now, reason });
  }
}
