import { asyncScheduler, Subject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { after, every } from '../core/timers.js';
import type { Reading } from '../core/reading.js';
import type { AlarmEvent, Severity } from '../core/alarm-event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { RateLimitedLog } from '../core/rate-limited-log.js';
import { dirname } from 'node:path';
import type { Db } from '../store/database.js';
import { describeStorageFailure } from '../store/storage-errors.js';
import type { AlarmDefinition, ConditionUpdate } from '../../rules/condition.js';
import type { BasePoint } from '../config/point-schema.js';
import type { UplinkSection } from './config.js';
import { buildBaseData } from './base-data.js';
import { AlarmOccurrences } from './alarm-occurrences.js';
import { encodeEnvelope, type Envelope, type EnvelopeItem, type OutgoingMessage } from './envelope.js';
import { UplinkQueue, type QueuedMessage } from './queue.js';
import { createTransport } from './profiles/registry.js';
import { UplinkSendError, type UplinkTransport } from './profiles/profile.js';
import { hiddenDangerReportSchema, type HiddenDangerReport, type WarningChannel } from '../core/hidden-danger.js';
import { warningFeedbackSchema, type PlatformWarning, type WarningFeedback } from '../core/platform-warning.js';
import type { z } from 'zod';
import { WarningInbox } from './warning-inbox.js';
import { centreSummarySchema, type CentreSummary } from './summary.js';
import { TargetMetrics } from './target-metrics.js';

export const UPLINK_DIAGNOSTIC_POINT = 'gateway';
export const UPLINK_ALARM_IDS = {
  linkDown: 'uplink:LINK_DOWN',
  queueThinning: 'uplink:QUEUE_THINNING',
  rejected: 'uplink:REJECTED',
  queueStorage: 'uplink:QUEUE_STORAGE',
} as const;

export type UplinkAlarmIds = { readonly [K in keyof typeof UPLINK_ALARM_IDS]: string };

/** Alarm ids of one of several targets: uplink.<target>:LINK_DOWN …; the single form keeps uplink:…. */
export function uplinkAlarmIds(target: string | undefined): UplinkAlarmIds {
  if (target === undefined) return UPLINK_ALARM_IDS;
  const out: Record<string, string> = {};
  for (const [k, id] of Object.entries(UPLINK_ALARM_IDS)) out[k] = id.replace(/^uplink:/, `uplink.${target}:`);
  return out as UplinkAlarmIds;
}

export interface UplinkSinkOptions {
  config: UplinkSection;
  /**
   * Defaults for enterpriseCode / gatewayCode / enterpriseName when the section does not set them;
   * `name` is the gateway's name in the base data.
   */
  gateway: { id: string; creditCode: string; enterpriseName?: string | undefined; name?: string | undefined };
  logger: Logger;
  metrics: Metrics;
  db: Db;
  /**
   * The unit of a gateway point, for mapped points without their own unit. Asked each time a message
   * is made: a device (OPC UA EUInformation) may tell a unit the config left out after start.
   */
  unitOf?: (point: string) => string | undefined;
  /**
   * The gateway's point definition, for the base data (name, range, LL/L/H/HH limits). Asked each
   * time the base data is built (start, configReloaded()), so reloaded limits go up.
   */
  pointOf?: (point: string) => BasePoint | undefined;
  /** For tests that swap the transport; default: the configured profile. */
  transport?: UplinkTransport;
  /**
   * The latest value of a point (the gateway's point registry). Without it the sink keeps its own
   * map of the mapped points' latest readings.
   */
  latestOf?: (point: string) => Pick<Reading, 'value' | 'quality' | 'ts'> | undefined;
  /** Clock and timers (virtual in tests); default asyncScheduler, the real clock. */
  scheduler?: SchedulerLike;
  /**
   * The target's name when the gateway has several (uplink.targets): prefixes the alarm ids
   * (uplink.<target>:LINK_DOWN), labels the metrics {target} and names the log component.
   */
  target?: string | undefined;
}

const ENFORCE_EVERY_MS = 5000;

/**
 * Store-and-forward uplink to the provincial platform. Readings only update an in-memory map of
 * latest values; snapshots, alarms and heartbeats become queue rows (committed once per event-loop
 * turn); one sender loop sends the queue head and deletes it on the platform's acknowledgement. So
 * a dead link never reaches the rule path, and nothing leaves the disk unacknowledged.
 */
export class UplinkSink implements WarningChannel {
  readonly queue: UplinkQueue;
  private readonly diagnostics = new Subject<ConditionUpdate>();
  readonly diagnostics$: Observable<ConditionUpdate> = this.diagnostics.asObservable();

  private readonly cfg: UplinkSection;
  private readonly target: string | undefined;
  private readonly ids: UplinkAlarmIds;
  private readonly log: Logger;
  /** Failures that repeat while the platform is down or refusing: once per backoff step, with a count. */
  private readonly limited: RateLimitedLog;
  private readonly metrics: Metrics;
  private readonly transport: UplinkTransport;
  private readonly enterpriseCode: string;
  private readonly gatewayCode: string;
  private readonly codes = new Map<string, { code: string; unit: string | undefined }>();
  private readonly unitOf: (point: string) => string | undefined;
  private readonly pointOf: (point: string) => BasePoint | undefined;
  private readonly enterpriseName: string | undefined;
  private readonly gatewayName: string | undefined;
  /** Fingerprint of the base data queued last by this sink. */
  private baseDataFingerprint: string | undefined;
  private readonly occurrences: AlarmOccurrences;
  private readonly inbox: WarningInbox;
  /** Warnings from the platform: checked, deduplicated on warningId (durably), see WarningInbox. */
  readonly warnings$: Observable<PlatformWarning>;
  private readonly latest = new Map<string, Reading>();
  /** alarmId → severity, for alarms whose condition is active, per point. */
  private readonly activeAlarms = new Map<string, Map<string, Severity>>();
  private readonly lastActive = new Map<string, boolean>();

  private subs: Subscription[] = [];
  private unlistenCommits: (() => void) | undefined;
  private timers: Subscription[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  private linkUp = true;
  private failingSince: number | undefined;
  private consecutiveFailures = 0;
  private linkDownRaised = false;
  private thinningRaised = false;
  private nextReplayAt = 0;
  /** The head message the platform refuses, and how many times in a row. */
  private refused: { seq: number; count: number } | undefined;
  private rejectedRaised = false;

  private readonly latestOf: ((point: string) => Pick<Reading, 'value' | 'quality' | 'ts'> | undefined) | undefined;
  private readonly scheduler: SchedulerLike;
  private now(): number {
    return this.scheduler.now();
  }

  constructor(opts: UplinkSinkOptions) {
    this.cfg = opts.config;
    this.latestOf = opts.latestOf;
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.target = opts.target;
    this.ids = uplinkAlarmIds(opts.target);
    this.log = opts.logger.child(opts.target === undefined ? 'uplink' : `uplink.${opts.target}`);
    this.limited = new RateLimitedLog(this.log);
    this.metrics = opts.target === undefined ? opts.metrics : new TargetMetrics(opts.metrics, opts.target);
    this.enterpriseCode = this.cfg.enterpriseCode ?? opts.gateway.creditCode;
    this.gatewayCode = this.cfg.gatewayCode ?? opts.gateway.id;
    this.unitOf = opts.unitOf ?? (() => undefined);
    this.pointOf = opts.pointOf ?? (() => undefined);
    this.enterpriseName = this.cfg.enterpriseName ?? opts.gateway.enterpriseName;
    this.gatewayName = opts.gateway.name;
    for (const p of this.cfg.points) this.codes.set(p.point, { code: p.code, unit: p.unit });
    this.queue = new UplinkQueue(opts.db, { scheduler: opts.scheduler });
    // Whatever survived a restart is backlog now.
    this.queue.markAllHistorical();
    this.occurrences = new AlarmOccurrences(opts.db);
    this.inbox = new WarningInbox({ db: opts.db, enterpriseCode: this.enterpriseCode, gatewayCode: this.gatewayCode, logger: this.log, metrics: this.metrics, now: () => this.now() });
    this.warnings$ = this.inbox.warnings$;
    const where = opts.db.name === ':memory:' ? 'memory' : dirname(opts.db.name);
    this.queue.onStorage((error) => this.queueStorage(error === undefined ? undefined : describeStorageFailure(error, where)));
    this.transport = opts.transport ?? createTransport(this.cfg.transport, { logger: this.log, metrics: this.metrics, enterpriseCode: this.enterpriseCode, gatewayCode: this.gatewayCode });
  }

  alarmDefinitions(): AlarmDefinition[] {
    // Several targets: the operator must see which one (省级平台 / 县级监测中心 …) is failing.
    const who = this.target === undefined ? '省级预警平台' : `上报目标 ${this.target} `;
    const tag = this.target === undefined ? '' : `（${this.target}）`;
    return [
      {
        alarmId: this.ids.linkDown,
        point: UPLINK_DIAGNOSTIC_POINT,
        condition: 'LINK_DOWN',
        severity: 3,
        label: `上报链路中断${tag}`,
        message: `${who}上报链路中断，数据暂存本地队列`,
        ruleId: this.target === undefined ? 'uplink' : `uplink.${this.target}`,
      },
      {
        alarmId: this.ids.queueThinning,
        point: UPLINK_DIAGNOSTIC_POINT,
        condition: 'QUEUE_THINNING',
        severity: 2,
        label: `上报队列已满${tag}`,
        message: `上报缓存队列${tag}已满，实时快照正在抽稀（报警数据不丢弃）`,
        ruleId: this.target === undefined ? 'uplink' : `uplink.${this.target}`,
      },
      {
        alarmId: this.ids.rejected,
        point: UPLINK_DIAGNOSTIC_POINT,
        condition: 'REJECTED',
        severity: 2,
        label: `平台拒收数据${tag}`,
        message: `${who}拒收一条上报数据，已转存死信表 uplink_dead_letter，其余数据继续上报`,
        ruleId: this.target === undefined ? 'uplink' : `uplink.${this.target}`,
      },
      {
        alarmId: this.ids.queueStorage,
        point: UPLINK_DIAGNOSTIC_POINT,
        condition: 'QUEUE_STORAGE',
        severity: 3,
        label: `上报队列无法写盘${tag}`,
        message: `上报队列${tag}无法写入磁盘（磁盘满或故障），数据暂存内存，超出上限的新数据被拒收`,
        ruleId: this.target === undefined ? 'uplink' : `uplink.${this.target}`,
      },
    ];
  }

  start(readings$: Observable<Reading>, alarms$: Observable<AlarmEvent>): void {
    if (!this.cfg.enabled || this.running) return;
    this.running = true;
    this.log.info('上报通道启动', { transport: this.transport.describe(), backlog: this.queue.size });
    if (!this.latestOf) {
      this.subs.push(
        readings$.subscribe((r) => {
          if (this.codes.has(r.point)) this.latest.set(r.point, r);
        }),
      );
    }
    this.subs.push(alarms$.subscribe((e) => this.onAlarm(e)));
    const sch = this.scheduler;
    this.timers.push(every(sch, this.cfg.snapshotPeriod, () => this.enqueueSnapshot(this.now())));
    this.timers.push(every(sch, this.cfg.heartbeatPeriod, () => this.enqueueHeartbeat(this.now())));
    this.timers.push(every(sch, ENFORCE_EVERY_MS, () => this.enforceBounds()));
    this.timers.push(every(sch, Math.max(100, Math.min(1000, this.cfg.linkDownAlarmAfter / 4)), () => this.checkLinkDown()));
    this.timers.push(every(sch, 1000, () => this.updateGauges()));
    this.unlistenCommits = this.queue.onCommitted(() => {
      if (this.queue.sizeBytes > this.cfg.queue.maxBytes) this.enforceBounds();
      this.poke();
    });
    // First connection: the platform learns what we monitor before any realtime data of it.
    if (this.cfg.baseData.enabled) this.enqueueBaseData(this.now(), true);
    this.enqueueHeartbeat(this.now());
    // Before the first send: the mqtt profile subscribes to warnings as it connects.
    this.transport.receiveWarnings?.(this.inbox);
    this.loop = this.sendLoop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) t.unsubscribe();
    this.subs = [];
    this.timers = [];
    this.queue.flush();
    this.unlistenCommits?.();
    this.poke();
    await this.loop;
    this.queue.deleteAcked();
    await this.transport.close();
    this.inbox.close();
    this.diagnostics.complete();
  }

  /**
   * The runtime calls this after a successful hot reload (point definitions updated in place):
   * when the base data changed (names, ranges, limits), the new one is queued, and realtime data
   * queued after it waits behind it. Returns whether a registration was queued.
   */
  configReloaded(): boolean {
    if (!this.running || !this.cfg.baseData.enabled) return false;
    return this.enqueueBaseData(this.now(), false);
  }

  // ---- producing messages ----

  /** Queues the base data; unless `always`, only when it differs from the one queued last. */
  private enqueueBaseData(now: number, always: boolean): boolean {
    if (this.enterpriseName === undefined && this.baseDataFingerprint === undefined) {
      this.log.warn('基础数据缺少企业名称，暂以统一社会信用代码代替：请设置 gateway.enterprise.name 或 uplink.enterpriseName', { enterpriseCode: this.enterpriseCode });
    }
    const doc = buildBaseData({
      config: this.cfg,
      enterprise: { code: this.enterpriseCode, name: this.enterpriseName ?? this.enterpriseCode },
      gateway: { code: this.gatewayCode, name: this.gatewayName },
      pointOf: this.pointOf,
      unitOf: this.unitOf,
    });
    if (!always && doc.fingerprint === this.baseDataFingerprint) return false;
    this.baseDataFingerprint = doc.fingerprint;
    this.queue.enqueueJson('basedata', JSON.stringify(doc), now, !this.linkUp);
    this.metrics.inc('uplink_enqueued_total', { type: 'basedata' });
    this.log.info('基础数据已加入上报队列（注册企业、设备与测点）', { targets: doc.targets.length, equipment: doc.equipment.length, fingerprint: doc.fingerprint.slice(0, 12) });
    return true;
  }

  /**
   * Queues the hidden-danger record's latest state (type hidden_danger): durable, in order with
   * everything else, never thinned or expired. Throws on a report that does not match the contract
   * (a bug of the caller, which must not sit at the head of the queue to be refused forever).
   */
  sendHiddenDanger(report: HiddenDangerReport): void {
    const doc = parseOwn(hiddenDangerReportSchema, report, `hidden_danger ${report.dangerId}`);
    this.enqueueDocument('hidden_danger', JSON.stringify(doc), this.now(), `hidden_danger ${doc.dangerId} revision ${doc.revision}`);
  }

  /** Queues feedback on a platform warning (type warning_feedback); durable, never dropped. */
  sendFeedback(feedback: WarningFeedback): void {
    const doc = parseOwn(warningFeedbackSchema, feedback, `warning_feedback ${feedback.warningId}`);
    this.enqueueDocument('warning_feedback', JSON.stringify(doc), this.now(), `warning_feedback ${doc.warningId} ${doc.state}`);
    this.inbox.fedBack(doc.warningId, this.now());
  }

  /**
   * Records and feedback are committed before this returns, not in the next group commit: the
   * hidden-danger service marks them sent right after (sent_revision, feedback_sent), and a kill -9
   * inside the commit window would otherwise lose them for good. They are rare, so one fsync each
   * costs nothing. When the disk refuses the commit this throws (the message may still go later
   * from memory): the caller must not mark it sent, and sends it again after a restart.
   */
  private enqueueDocument(type: 'hidden_danger' | 'warning_feedback', json: string, now: number, what: string): void {
    if (this.queue.enqueueJson(type, json, now, !this.linkUp) === undefined) {
      this.metrics.inc('uplink_queue_rejected_total', { type });
      this.log.error('上报队列无法写盘且内存暂存已满，此条未能入队', { type });
      throw new Error(`上报队列无法写盘，${what} 未能入队 [uplink queue refused ${what}: disk failing and memory full]`);
    }
    this.metrics.inc('uplink_enqueued_total', { type });
    this.queue.flush();
    if (this.queue.storageFailing) throw new Error(`上报队列无法写盘，${what} 暂存内存 [uplink queue could not commit ${what}: disk failing; held in memory]`);
  }

  /**
   * Queues a centre's summary for the tier above (type summary): durable and in order like the
   * rest, but a snapshot: thinned with the realtime snapshots when the queue is full, and dropped
   * by age like them (a newer summary supersedes it).
   */
  sendSummary(summary: CentreSummary): void {
    const doc = parseOwn(centreSummarySchema, summary, `summary ${summary.at}`);
    if (this.queue.enqueueJson('summary', JSON.stringify(doc), this.now(), !this.linkUp) === undefined) {
      this.metrics.inc('uplink_queue_rejected_total', { type: 'summary' });
      this.limited.warn('summary_refused', '上报队列无法写盘且内存暂存已满，汇总未能入队', { type: 'summary' });
      return;
    }
    this.metrics.inc('uplink_enqueued_total', { type: 'summary' });
  }

  private onAlarm(e: AlarmEvent): void {
    const perPoint = this.activeAlarms.get(e.point) ?? new Map<string, Severity>();
    if (e.active) perPoint.set(e.alarmId, e.severity);
    else perPoint.delete(e.alarmId);
    this.activeAlarms.set(e.point, perPoint);

    const mapped = this.codes.get(e.point);
    if (!mapped) {
      this.metrics.inc('uplink_alarms_unmapped_total');
      return;
    }
    const previous = this.lastActive.get(e.alarmId) ?? false;
    this.lastActive.set(e.alarmId, e.active);
    // Every event of the alarm gets its occurrence's identity (kept across restarts), even when not sent.
    const occurrence = this.occurrences.observe(e.alarmId, e.active, Math.round(e.ts));
    if (this.cfg.alarmEvents === 'transitions' && previous === e.active) return;
    const item: EnvelopeItem = {
      pointCode: mapped.code,
      value: e.value,
      unit: mapped.unit || e.unit || this.unitOf(e.point) || '',
      quality: this.latestValue(e.point)?.quality ?? 'Good',
      time: Math.round(e.ts),
      alarmLevel: e.active ? e.severity : 0,
      alarmType: e.condition,
      alarmActive: e.active,
      alarmMessage: e.message,
      ...(e.limit !== undefined ? { limit: e.limit } : {}),
      ...(occurrence ? { alarmKey: occurrence.key, alarmStart: occurrence.startedAt } : {}),
      alarmState: e.state,
      ...(e.user !== undefined ? { operator: e.user } : {}),
      ...(e.comment !== undefined ? { comment: e.comment } : {}),
      ...(e.basis !== undefined ? { alarmBasis: e.basis } : {}),
    };
    this.enqueue('alarm', [item], Math.round(e.ts));
  }

  private alarmLevel(point: string): 0 | Severity {
    let level = 0;
    for (const s of this.activeAlarms.get(point)?.values() ?? []) level = Math.max(level, s);
    return level as 0 | Severity;
  }

  /** One snapshot: every mapped point with a value so far, split into messages of maxItemsPerMessage. */
  enqueueSnapshot(now: number): void {
    const items: EnvelopeItem[] = [];
    for (const [point, m] of this.codes) {
      const r = this.latestValue(point);
      if (r === undefined) continue;
      items.push({ pointCode: m.code, value: r.value, unit: m.unit ?? this.unitOf(point) ?? '', quality: r.quality, time: Math.round(r.ts), alarmLevel: this.alarmLevel(point) });
    }
    if (items.length === 0) return;
    for (let i = 0; i < items.length; i += this.cfg.maxItemsPerMessage) this.enqueue('realtime', items.slice(i, i + this.cfg.maxItemsPerMessage), now);
  }

  private latestValue(point: string): Pick<Reading, 'value' | 'quality' | 'ts'> | undefined {
    return this.latestOf ? this.latestOf(point) : this.latest.get(point);
  }

  /** Connected to the platform (false from the first failed send until the next delivery). */
  get isLinkUp(): boolean {
    return this.linkUp;
  }

  /** A heartbeat says "alive now": while one is still queued, another adds nothing. */
  enqueueHeartbeat(now: number): void {
    if (this.queue.hasPendingHeartbeat()) {
      this.metrics.inc('uplink_heartbeats_coalesced_total');
      return;
    }
    this.enqueue('heartbeat', [], now);
  }

  private enqueue(type: Envelope['type'], items: EnvelopeItem[], createdAt: number): void {
    if (this.queue.enqueue(type, items, createdAt, !this.linkUp) === undefined) {
      this.metrics.inc('uplink_queue_rejected_total', { type });
      return;
    }
    this.metrics.inc('uplink_enqueued_total', { type });
  }

  /**
   * The disk refuses the queue's writes (or takes them again). Raised from a microtask: the failure
   * may surface inside the alarm manager's delivery of an event, and its alarm must follow that event.
   */
  private queueStorage(reason: string | undefined): void {
    const failing = reason !== undefined;
    if (failing) {
      this.metrics.inc('uplink_queue_storage_errors_total');
      this.log.error('上报队列无法写入磁盘，数据暂存内存', { reason, queued: this.queue.size });
    } else this.log.info('上报队列恢复写入磁盘', { rejected: this.queue.rejected });
    queueMicrotask(() =>
      this.diagnostics.next({
        alarmId: this.ids.queueStorage,
        active: failing,
        value: this.queue.rejected,
        ts: Date.now(),
        ...(failing ? { detail: `${reason}；已拒收 ${this.queue.rejected} 条` } : {}),
      }),
    );
  }

  // ---- bounds and diagnostics ----

  private enforceBounds(): void {
    const now = this.now();
    const r = this.queue.enforce(this.cfg.queue, now);
    if (r.expired > 0) {
      this.metrics.inc('uplink_messages_expired_total', undefined, r.expired);
      this.limited.warn('expired', '上报队列中过期的实时快照/心跳已删除', { count: r.expired, maxAgeMs: this.cfg.queue.maxAge });
    }
    if (r.thinned > 0) {
      this.metrics.inc('uplink_snapshots_thinned_total', undefined, r.thinned);
      this.limited.warn('thinned', '上报队列已满，实时快照抽稀', { thinned: r.thinned, queueBytes: this.queue.sizeBytes, maxBytes: this.cfg.queue.maxBytes });
      if (!this.thinningRaised) {
        this.thinningRaised = true;
        this.diagnostics.next({ alarmId: this.ids.queueThinning, active: true, value: this.queue.sizeBytes, ts: now, limit: this.cfg.queue.maxBytes, detail: `已抽稀 ${r.thinned} 条实时快照` });
      }
    }
    if (r.overLimitWithAlarmsOnly) {
      this.metrics.inc('uplink_queue_over_limit_alarms_only_total');
      this.limited.error('over_limit', '上报队列超过上限且只剩报警数据：报警不丢弃，继续占用磁盘', { queueBytes: this.queue.sizeBytes });
    }
    // Clear with hysteresis: half the bound, so it does not chatter at the edge.
    if (this.thinningRaised && this.queue.sizeBytes < this.cfg.queue.maxBytes / 2) {
      this.thinningRaised = false;
      this.diagnostics.next({ alarmId: this.ids.queueThinning, active: false, value: this.queue.sizeBytes, ts: now, limit: this.cfg.queue.maxBytes });
    }
    this.updateGauges();
  }

  private checkLinkDown(): void {
    if (this.failingSince === undefined || this.linkDownRaised) return;
    const now = this.now();
    if (now - this.failingSince >= this.cfg.linkDownAlarmAfter) {
      this.linkDownRaised = true;
      this.diagnostics.next({ alarmId: this.ids.linkDown, active: true, value: this.queue.size, ts: now, detail: `${this.transport.describe()} 连续失败 ${this.consecutiveFailures} 次，积压 ${this.queue.size} 条` });
    }
  }

  private updateGauges(): void {
    this.metrics.set('uplink_queue_messages', this.queue.size);
    this.metrics.set('uplink_queue_bytes', this.queue.sizeBytes);
    const oldest = this.queue.oldestCreatedAt();
    this.metrics.set('uplink_queue_oldest_age_seconds', oldest === undefined ? 0 : Math.max(0, this.now() - oldest) / 1000);
    this.metrics.set('uplink_link_up', this.linkUp ? 1 : 0);
  }

  // ---- sending ----

  private poke(): void {
    this.wake?.();
  }

  /**
   * Waits ms (forever when undefined). A new commit ends the wait only when wakeOnCommit (idle
   * wait), stop() always does (backoff and pacing waits too).
   */
  private sleep(ms: number | undefined, wakeOnCommit: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) return resolve();
      let timer: Subscription | undefined;
      const done = (): void => {
        timer?.unsubscribe();
        if (this.wake === wakeFn) this.wake = undefined;
        resolve();
      };
      const wakeFn = (): void => {
        if (wakeOnCommit || !this.running) done();
      };
      this.wake = wakeFn;
      if (ms !== undefined) timer = after(this.scheduler, ms, done);
    });
  }

  private async sendLoop(): Promise<void> {
    while (this.running) {
      const msg = this.queue.head();
      if (!msg) {
        await this.sleep(undefined, true);
        continue;
      }
      // Replay pacing: backlog goes at replayRate, unless a live alarm waits behind it (then as fast as acks come).
      if (msg.historical && this.cfg.replayRate > 0 && !this.queue.hasLiveAlarm()) {
        const wait = this.nextReplayAt - this.now();
        if (wait > 0) {
          await this.sleep(wait, false);
          continue;
        }
        this.nextReplayAt = Math.max(this.now(), this.nextReplayAt) + 1000 / this.cfg.replayRate;
      }
      await this.sendOne(msg);
    }
  }

  private envelope(m: QueuedMessage): OutgoingMessage {
    return encodeEnvelope(
      { dataId: m.dataId, seq: m.seq, type: m.type, enterpriseCode: this.enterpriseCode, gatewayCode: this.gatewayCode, timestamp: m.createdAt, historical: m.historical },
      m.itemsJson,
    );
  }

  private async sendOne(m: QueuedMessage): Promise<void> {
    try {
      await this.transport.send(this.envelope(m));
    } catch (err) {
      // A refused registration is never set aside: realtime data behind it means nothing to the platform without it.
      if (err instanceof UplinkSendError && !err.retryable && m.type !== 'basedata' && this.refusedAgain(m) >= this.cfg.deadLetterAfter && (await this.skipRefused(m, err))) return;
      await this.onSendFailed(m, err as Error);
      return;
    }
    this.delivered(m);
  }

  /** Counts consecutive refusals of the head message. */
  private refusedAgain(m: QueuedMessage): number {
    if (this.refused?.seq !== m.seq) this.refused = { seq: m.seq, count: 0 };
    return ++this.refused.count;
  }

  /**
   * The platform keeps refusing `m`. Sends the message after it: if the platform takes that one, `m`
   * itself is the problem and goes to the dead-letter table; if not, the platform refuses everything
   * and `m` stays at the head.
   */
  private async skipRefused(m: QueuedMessage, err: UplinkSendError): Promise<boolean> {
    const next = this.queue.peek(2)[1];
    if (!next) return false;
    try {
      await this.transport.send(this.envelope(next));
    } catch {
      return false;
    }
    this.queue.deadLetter(m, err.message, this.now());
    this.metrics.inc('uplink_dead_lettered_total', { type: m.type });
    this.limited.error('dead_letter', '平台多次拒收一条上报数据，已转存死信表 uplink_dead_letter', { seq: m.seq, dataId: m.dataId, type: m.type, attempts: m.attempts + 1, error: err.message });
    this.diagnostics.next({ alarmId: this.ids.rejected, active: true, value: m.seq, ts: this.now() });
    this.rejectedRaised = true;
    this.delivered(next, false);
    return true;
  }

  private delivered(m: QueuedMessage, endsRefusal = true): void {
    this.queue.ack(m);
    this.metrics.inc('uplink_sent_total', { type: m.type });
    if (this.thinningRaised && this.queue.sizeBytes < this.cfg.queue.maxBytes / 2) this.enforceBounds();
    if (this.queue.size === 0) this.updateGauges();
    if (m.historical) this.metrics.inc('uplink_replayed_total');
    // The next message after a dead-lettered one went through as usual: the refusal is over (the
    // operator still acknowledges it and can look at uplink_dead_letter).
    if (this.rejectedRaised && endsRefusal) {
      this.rejectedRaised = false;
      this.diagnostics.next({ alarmId: this.ids.rejected, active: false, value: this.queue.size, ts: this.now() });
    }
    this.refused = undefined;
    if (!this.linkUp || this.failingSince !== undefined) {
      this.limited.clear('send');
      this.log.info('上报链路恢复，开始补传积压数据', { backlog: this.queue.size, failures: this.consecutiveFailures });
      this.linkUp = true;
      this.failingSince = undefined;
      this.consecutiveFailures = 0;
      if (this.linkDownRaised) {
        this.linkDownRaised = false;
        this.diagnostics.next({ alarmId: this.ids.linkDown, active: false, value: this.queue.size, ts: this.now() });
      }
      this.updateGauges();
    }
  }

  private async onSendFailed(m: QueuedMessage, err: Error): Promise<void> {
    this.metrics.inc('uplink_send_failures_total');
    this.consecutiveFailures++;
    if (this.failingSince === undefined) {
      this.failingSince = this.now();
      this.limited.warn('send', '上报失败，数据转入本地队列等待补传', { seq: m.seq, error: err.message, transport: this.transport.describe() });
    } else this.limited.warn('send', '上报重试失败 [send still failing]', { seq: m.seq, error: err.message, failures: this.consecutiveFailures });
    this.linkUp = false;
    this.queue.failed(m.seq);
    this.queue.markAllHistorical();
    this.updateGauges();
    const backoff = Math.min(this.cfg.retry.maxDelay, this.cfg.retry.initialDelay * 2 ** Math.min(20, this.consecutiveFailures - 1));
    // Jitter so many gateways do not hit a recovering platform in step.
    await this.sleep(backoff * (0.8 + Math.random() * 0.4), false);
  }
}

/** Parses a document handed in by another service; a mismatch is that service's bug, named in the error. */
function parseOwn<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`uplink: invalid ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
