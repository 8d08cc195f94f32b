import { join } from 'node:path';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  NumericRange,
  TimestampsToReturn,
  type ReadValueIdOptions,
  type ClientSubscription,
  type DataValue,
  type NodeId,
} from 'node-opcua';
import type { Adapter, AdapterContext } from '../types.js';
import type { QualityCode } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import { RateLimitedLog } from '../../gateway/core/rate-limited-log.js';
import { watchdogTimeoutMs, type DeadbandConfig, type OpcuaDevice, type OpcuaPoint } from './config.js';
import { OpcuaConnectError, openSession, type OpenSession } from './connection.js';
import { mapStatusCode, type MappedQuality } from './quality.js';
import { readEngineeringInfo, resolvePoints, type ServerPointInfo } from './resolve.js';
import { toReading } from './values.js';
import { commOkPointId } from './diagnostics.js';
import { untrustedText } from '../../gateway/core/untrusted-text.js';

/** comm_ok is re-published at least this often, so late subscribers and stale-data rules see it. */
const COMM_OK_REFRESH_MS = 10_000;

/** Status codes that mean "this server does not do that filter": the item is retried without it. */
const FILTER_REJECTED = new Set([0x80450000 /* BadFilterNotAllowed */, 0x80440000 /* BadMonitoredItemFilterUnsupported */, 0x80430000 /* BadMonitoredItemFilterInvalid */, 0x808e0000 /* BadDeadbandFilterInvalid */]);

interface MonitorSpec {
  samplingInterval: number;
  queueSize: number;
  deadband: DeadbandConfig | undefined;
}

/** Value attribute of a point's node; an array element is asked for with an index range. */
function readValueId(p: OpcuaPoint, nodeId: NodeId): ReadValueIdOptions {
  return {
    nodeId,
    attributeId: AttributeIds.Value,
    ...(p.arrayIndex !== undefined ? { indexRange: new NumericRange(p.arrayIndex) } : {}),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}

/**
 * OPC UA client adapter. One supervisor loop per device: connect → resolve points → subscribe (or
 * poll) → run until the session is found dead (connection lost, subscription terminated, watchdog
 * silent too long) → mark every point BadNotConnected → back off → start over with a new session
 * and new subscription. Rebuilding from scratch instead of relying on the stack's session repair is
 * deliberate: field reports of node-opcua, Telegraf and Node-RED sessions that never recover come
 * from half-repaired sessions; a fresh session after a server restart always works.
 * A point the server rejects (unknown NodeId, bad browse path, filter refused) affects that point
 * only: it reads Bad with the server's reason and is retried on its own timer.
 */
export class OpcuaAdapter implements Adapter {
  readonly deviceId: string;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly lastQuality = new Map<string, QualityCode>();
  private readonly serverInfo = new Map<string, ServerPointInfo>();
  private lastError = '';
  /**
   * Connection failures, one cause per kind: a new kind is written at once, the same kind again once per
   * backoff step up to every 10 minutes (a server down overnight must not fill the disk, nor go quiet).
   */
  private connectErrors: RateLimitedLog | undefined;
  private firstAttempt: { promise: Promise<void>; resolve: () => void };
  /** Current session's end signal: called once with the reason. */
  private endSession: ((reason: string) => void) | undefined;
  private lastActivity = 0;
  private commOk: boolean | undefined;
  private commOkTimer: NodeJS.Timeout | undefined;
  private readonly pointsById: ReadonlyMap<string, OpcuaPoint>;

  constructor(
    private readonly device: OpcuaDevice,
    private readonly ctx: AdapterContext,
  ) {
    this.deviceId = device.id;
    this.pointsById = new Map(device.points.map((p) => [p.id, p]));
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstAttempt = { promise, resolve };
  }

  /**
   * Starts the supervisor. Resolves once the first connection attempt has finished (subscribed or
   * failed), or after 3 s at most: a server that does not answer must not hold up the other devices,
   * and connecting goes on in the background.
   */
  async start(): Promise<void> {
    if (this.loop) return;
    this.commOkTimer = setInterval(() => {
      if (this.commOk !== undefined) this.publishCommOk(this.commOk, true);
    }, COMM_OK_REFRESH_MS);
    this.loop = this.supervise().catch((err: unknown) => {
      this.ctx.log.error(`OPC UA 设备 ${this.deviceId} 的监控循环异常退出`, { error: String(err) });
    });
    await withDeadline(this.firstAttempt.promise, 3000);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.commOkTimer) clearInterval(this.commOkTimer);
    this.endSession?.('停止');
    await this.loop;
  }

  /** Unit and EURange the server reports for a point (for the point registry and the HTTP API). */
  pointInfo(pointId: string): ServerPointInfo | undefined {
    return this.serverInfo.get(pointId);
  }

  private get labels() {
    return { device: this.deviceId };
  }

  private publish(reading: Reading): void {
    this.lastQuality.set(reading.point, reading.quality);
    this.ctx.metrics.inc('opcua_readings', this.labels);
    if (!reading.quality.startsWith('Good')) this.ctx.metrics.inc('opcua_readings_not_good', this.labels);
    this.ctx.publish(reading);
  }

  private publishProblem(point: OpcuaPoint, problem: MappedQuality, onlyOnChange: boolean): void {
    if (onlyOnChange && this.lastQuality.get(point.id) === problem.quality) return;
    const now = this.ctx.now();
    this.publish({ point: point.id, value: null, quality: problem.quality, ts: now, receivedAt: now, ...(problem.reason ? { reason: problem.reason } : {}) });
  }

  private publishCommOk(ok: boolean, refresh = false): void {
    if (ok === this.commOk && !refresh) return;
    if (this.commOk !== undefined && ok !== this.commOk) this.ctx.log.warn(ok ? `OPC UA 设备 ${this.deviceId} 通讯恢复` : `OPC UA 设备 ${this.deviceId} 通讯中断`);
    this.commOk = ok;
    this.ctx.metrics.set('opcua_connected', ok ? 1 : 0, this.labels);
    const now = this.ctx.now();
    this.ctx.publish({ point: commOkPointId(this.deviceId), value: ok, quality: 'Good', ts: now, receivedAt: now });
  }

  private markAllDisconnected(reason: string): void {
    for (const p of this.device.points) this.publishProblem(p, { quality: 'BadNotConnected', reason }, true);
  }

  private backoff(attempt: number): number {
    const { reconnectMin, reconnectMax } = this.device;
    const base = Math.min(reconnectMax, reconnectMin * 2 ** Math.min(attempt, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private async supervise(): Promise<void> {
    const log = this.ctx.log;
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      let conn: OpenSession | undefined;
      let reason: string;
      try {
        const pkiDir = this.device.pkiDir ?? join(this.ctx.dataDir ?? '.data', 'pki', 'opcua');
        conn = await openSession({ ...this.device, pkiDir, transportTimeout: 2 * watchdogTimeoutMs(this.device) + this.device.connectTimeout }, log);
        if (this.lastError) log.info(`OPC UA 设备 ${this.deviceId} 已重新连接 ${this.device.endpoint}`);
        else log.info(`OPC UA 设备 ${this.deviceId} 已连接 ${this.device.endpoint}（${this.device.security.mode}/${this.device.security.policy}）`);
        this.lastError = '';
        this.connectErrors?.clearAll();
        attempt = 0;
        reason = await this.runSession(conn);
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
        const kind = err instanceof OpcuaConnectError ? err.kind : 'session';
        this.ctx.metrics.inc('opcua_connect_failures', { ...this.labels, kind });
        this.connectErrors ??= new RateLimitedLog(log);
        if (kind === 'untrusted-server' || kind === 'auth' || kind === 'security') this.connectErrors.error(kind, reason, { device: this.deviceId });
        else this.connectErrors.warn(kind, reason, { device: this.deviceId });
        this.lastError = reason;
      }
      this.endSession = undefined;
      if (!this.abort.signal.aborted) this.publishCommOk(false);
      this.firstAttempt.resolve();
      if (conn) {
        // A dead transport makes a polite session close hang until its timeout: bound it.
        await withDeadline(conn.close(), 2000);
      }
      if (this.abort.signal.aborted) break;
      if (!this.lastError) this.lastError = reason;
      this.markAllDisconnected(`与 ${this.device.endpoint} 的连接中断：${reason}`);
      this.ctx.metrics.inc('opcua_reconnects', this.labels);
      await sleep(this.backoff(attempt++), this.abort.signal);
    }
  }

  /** Runs one session until it ends; returns why it ended. */
  private async runSession(conn: OpenSession): Promise<string> {
    const { session, client } = conn;
    let ended!: (reason: string) => void;
    const endedP = new Promise<string>((r) => (ended = r));
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    this.endSession = (reason) => {
      if (done) return;
      done = true;
      ended(reason);
    };
    const end = (reason: string) => this.endSession?.(reason);
    client.on('connection_lost', () => end('连接丢失'));
    // node-opcua emitters without an 'error' listener would throw and take the gateway down.
    (client as unknown as NodeJS.EventEmitter).on('error', (err: Error) => end(`客户端错误：${err.message}`));
    client.on('close', () => end('连接关闭'));
    session.on('session_closed', () => end('会话被关闭'));

    // Mutable: raised below if the server revises the keep-alive period upwards.
    const watchdog = { ms: watchdogTimeoutMs(this.device) };
    this.lastActivity = Date.now();
    timers.push(
      setInterval(() => {
        const silent = Date.now() - this.lastActivity;
        if (silent > watchdog.ms) {
          this.ctx.metrics.inc('opcua_watchdog_trips', this.labels);
          end(`会话静默 ${Math.round(silent / 1000)} s（看门狗 ${watchdog.ms} ms），重建连接`);
        }
      }, Math.min(1000, Math.max(100, watchdog.ms / 4))),
    );

    const state = { subscription: undefined as ClientSubscription | undefined };
    const setup = async () => {
      const resolved = await this.resolveAndDescribe(conn, new Set(this.device.points.map((p) => p.id)));
      if (this.device.mode === 'subscription') {
        state.subscription = await this.subscribe(conn, resolved, end);
        // Servers may revise the publishing interval and keep-alive count upwards; a watchdog shorter
        // than the revised keep-alive period would tear down healthy, quiet sessions.
        const sub = state.subscription;
        const keepAliveMs = sub.publishingInterval * sub.maxKeepAliveCount;
        const needed = this.device.watchdogTimeout !== undefined ? Math.ceil(1.5 * keepAliveMs) : Math.max(10_000, 3 * keepAliveMs);
        if (needed > watchdog.ms) {
          this.ctx.log.warn(`服务器将保活周期修订为 ${keepAliveMs} ms（发布间隔 ${sub.publishingInterval} ms × ${sub.maxKeepAliveCount}），看门狗相应放宽到 ${needed} ms`, { device: this.deviceId });
          watchdog.ms = needed;
        }
      } else {
        this.startPolling(conn, resolved, timers, end);
      }
      // Points the server rejected are retried on their own, without touching the good ones.
      timers.push(setInterval(() => void this.retryBadPoints(conn, state.subscription).catch((e: unknown) => end(String(e))), this.device.retryBadPointsInterval));
    };
    setup().then(
      () => {
        if (!done) this.publishCommOk(true);
        this.firstAttempt.resolve();
      },
      (err: unknown) => end(`建立订阅失败：${err instanceof Error ? err.message : String(err)}`),
    );
    const reason = await endedP;
    for (const t of timers) clearInterval(t);
    if (state.subscription) await withDeadline(state.subscription.terminate().catch(() => undefined), 1000);
    return reason;
  }

  /** Points whose last reading says the server rejected them (not those merely disconnected). */
  private rejectedPoints = new Set<string>();

  private async resolveAndDescribe(conn: OpenSession, ids: ReadonlySet<string>): Promise<Map<string, NodeId>> {
    const points = this.device.points.filter((p) => ids.has(p.id));
    const resolutions = await resolvePoints(conn.session, points, this.device.maxItemsPerCall);
    const nodes = new Map<string, NodeId>();
    for (const p of points) {
      const r = resolutions.get(p.id)!;
      if (r.ok) {
        nodes.set(p.id, r.nodeId);
        this.rejectedPoints.delete(p.id);
      } else {
        this.reject(p, r.problem);
      }
    }
    const info = await readEngineeringInfo(conn.session, nodes, this.device.maxItemsPerCall).catch(() => new Map<string, ServerPointInfo>());
    for (const [id, i] of info) {
      this.serverInfo.set(id, i);
      const p = this.pointsById.get(id)!;
      if (i.unit && !p.unit) this.ctx.describePoint?.(id, { unit: i.unit });
      if (i.unit && p.unit && p.unit !== i.unit && !p.scale) {
        this.ctx.metrics.inc('opcua_unit_mismatch', this.labels);
        this.ctx.log.warn(`点 ${p.id}（${p.name}）配置单位 "${p.unit}" 与服务器 EngineeringUnits "${untrustedText(i.unit, 40)}" 不一致，请核对量程与报警限值`, { device: this.deviceId });
      }
    }
    this.ctx.metrics.set('opcua_points_rejected', this.rejectedPoints.size, this.labels);
    return nodes;
  }

  private reject(p: OpcuaPoint, problem: MappedQuality): void {
    if (this.lastQuality.get(p.id) !== problem.quality) {
      this.ctx.log.warn(`点 ${p.id}（${p.name}）被服务器拒绝：${untrustedText(problem.reason ?? problem.quality)}；其他点不受影响，${this.device.retryBadPointsInterval / 1000} s 后重试`, { device: this.deviceId });
    }
    this.rejectedPoints.add(p.id);
    this.ctx.metrics.set('opcua_points_rejected', this.rejectedPoints.size, this.labels);
    this.ctx.metrics.inc('opcua_point_errors', { ...this.labels, quality: problem.quality });
    this.publishProblem(p, problem, true);
  }

  private specOf(p: OpcuaPoint): MonitorSpec {
    return {
      samplingInterval: p.samplingInterval ?? this.device.samplingInterval,
      queueSize: p.queueSize ?? this.device.queueSize,
      deadband: p.deadband ?? this.device.deadband,
    };
  }

  private async subscribe(conn: OpenSession, nodes: Map<string, NodeId>, end: (reason: string) => void): Promise<ClientSubscription> {
    const { keepAliveCount, publishingInterval } = this.device;
    const subscription = await conn.session.createSubscription2({
      requestedPublishingInterval: publishingInterval,
      requestedMaxKeepAliveCount: keepAliveCount,
      requestedLifetimeCount: keepAliveCount * 6,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    const touch = () => (this.lastActivity = Date.now());
    subscription.on('keepalive', touch);
    subscription.on('received_notifications', touch);
    subscription.on('terminated', () => end('订阅已终止'));
    subscription.on('error', (err) => end(`订阅错误：${err.message}`));
    subscription.on('internal_error', (err) => end(`订阅内部错误：${err.message}`));
    subscription.on('status_changed', (status) => {
      if (status.isNotGood()) end(`订阅状态 ${status.name}`);
    });
    await this.monitor(subscription, nodes, true);
    return subscription;
  }

  /** Creates monitored items, grouped by identical parameters and chunked to the per-call limit. */
  private async monitor(subscription: ClientSubscription, nodes: Map<string, NodeId>, useFilters: boolean): Promise<void> {
    const groups = new Map<string, { spec: MonitorSpec; points: OpcuaPoint[] }>();
    for (const p of this.device.points) {
      if (!nodes.has(p.id)) continue;
      const spec = this.specOf(p);
      if (!useFilters) spec.deadband = undefined;
      const key = JSON.stringify(spec);
      const g = groups.get(key) ?? { spec, points: [] };
      g.points.push(p);
      groups.set(key, g);
    }
    const filterRejected = new Map<string, NodeId>();
    for (const { spec, points } of groups.values()) {
      for (let i = 0; i < points.length; i += this.device.maxItemsPerCall) {
        const chunk = points.slice(i, i + this.device.maxItemsPerCall);
        const rejected = await this.createGroup(subscription, chunk, nodes, spec);
        for (const p of rejected) filterRejected.set(p.id, nodes.get(p.id)!);
      }
    }
    if (filterRejected.size > 0) {
      this.ctx.log.warn(`服务器不支持 ${filterRejected.size} 个点的死区过滤（如百分比死区需要 EURange），这些点改为不带死区订阅`, { device: this.deviceId, points: [...filterRejected.keys()].slice(0, 20) });
      await this.monitor(subscription, filterRejected, false);
    }
  }

  private createGroup(subscription: ClientSubscription, chunk: OpcuaPoint[], nodes: Map<string, NodeId>, spec: MonitorSpec): Promise<OpcuaPoint[]> {
    const items = chunk.map((p) => readValueId(p, nodes.get(p.id)!));
    const filter = spec.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: spec.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: spec.deadband.value,
        })
      : null;
    const group = ClientMonitoredItemGroup.create(
      subscription,
      items,
      { samplingInterval: spec.samplingInterval, queueSize: spec.queueSize, discardOldest: true, filter },
      TimestampsToReturn.Both,
    );
    group.on('changed', (_item, dataValue: DataValue, index: number) => {
      const p = chunk[index];
      if (!p) return;
      this.publish(toReading(dataValue, { point: p.id, arrayIndex: p.arrayIndex, indexRangeSent: true, scale: p.scale }, this.ctx.now()));
    });
    return new Promise<OpcuaPoint[]>((resolve, reject) => {
      group.once('initialized', () => {
        const filterRejected: OpcuaPoint[] = [];
        group.monitoredItems.forEach((item, i) => {
          const p = chunk[i]!;
          const code = item.statusCode;
          if (code.isGood()) return;
          if (FILTER_REJECTED.has((code.value & 0xffff0000) >>> 0)) filterRejected.push(p);
          else this.reject(p, mapStatusCode(code.value, code.name));
        });
        resolve(filterRejected);
      });
      group.once('terminated', (err: Error) => reject(err ?? new Error('monitored items terminated')));
    });
  }

  private startPolling(conn: OpenSession, nodes: Map<string, NodeId>, timers: NodeJS.Timeout[], end: (reason: string) => void): void {
    let busy = false;
    const poll = async () => {
      if (busy) {
        this.ctx.metrics.inc('opcua_poll_overruns', this.labels);
        return;
      }
      busy = true;
      try {
        const points = this.device.points.filter((p) => nodes.has(p.id));
        for (let i = 0; i < points.length; i += this.device.maxItemsPerCall) {
          const chunk = points.slice(i, i + this.device.maxItemsPerCall);
          const values: DataValue[] = await conn.session.read(
            chunk.map((p) => readValueId(p, nodes.get(p.id)!)),
            0,
          );
          const now = this.ctx.now();
          values.forEach((dv, j) => {
            const p = chunk[j]!;
            const reading = toReading(dv, { point: p.id, arrayIndex: p.arrayIndex, indexRangeSent: true, scale: p.scale }, now);
            if (reading.quality === 'BadNodeIdUnknown') this.reject(p, { quality: reading.quality, ...(reading.reason ? { reason: reading.reason } : {}) });
            else this.publish(reading);
          });
        }
        this.lastActivity = Date.now();
      } catch (err) {
        end(`轮询读取失败：${err instanceof Error ? err.message : String(err)}`);
      } finally {
        busy = false;
      }
    };
    // poll() catches its own errors; a rejection would be a bug in it, logged rather than crashing the gateway.
    const runPoll = () => void poll().catch((err: unknown) => this.ctx.log.error(`OPC UA 设备 ${this.deviceId} 轮询异常 [poll failed]`, { error: err }));
    runPoll();
    timers.push(setInterval(runPoll, this.device.pollInterval));
    // Polling mode: newly resolved points join the read list on the next cycle.
    this.pollNodes = nodes;
  }

  private pollNodes: Map<string, NodeId> | undefined;

  private async retryBadPoints(conn: OpenSession, subscription: ClientSubscription | undefined): Promise<void> {
    if (this.rejectedPoints.size === 0) return;
    const ids = new Set(this.rejectedPoints);
    const nodes = await this.resolveAndDescribe(conn, ids);
    if (nodes.size === 0) return;
    if (subscription) {
      for (const id of nodes.keys()) this.rejectedPoints.delete(id);
      await this.monitor(subscription, nodes, true);
    } else if (this.pollNodes) {
      for (const [id, n] of nodes) this.pollNodes.set(id, n);
    }
    this.ctx.metrics.set('opcua_points_rejected', this.rejectedPoints.size, this.labels);
  }
}

export function createAdapter(device: OpcuaDevice, ctx: AdapterContext): Adapter {
  return new OpcuaAdapter(device, ctx);
}
