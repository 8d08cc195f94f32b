import { uplinkTargets } from '../../uplink/config.js';
import { defer, startWith, Subject, type Observable, type Subscription } from 'rxjs';
import type { AlarmDefinition, ConditionUpdate } from '../../core/condition.js';
import type { WarningChannel } from '../../core/hidden-danger.js';
import type { FeedbackState, PlatformWarning } from '../../core/platform-warning.js';
import type { ApiService } from '../api/service.js';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import type { HiddenDangerSection } from './config.js';
import { Dispatcher } from './dispatch.js';
import { formatCn, HiddenDangerLoop, SYSTEM_USER, type AlarmFacts } from './loop.js';
import { PhotoFiles } from './photos.js';
import { toReport, type HiddenDangerRecord } from './record.js';
import { hiddenDangerRoutes } from './routes.js';
import { HiddenDangerStore, type Change } from './store.js';

/** The gateway's own alarms about overdue records (they show in the alarm console like any alarm). */
export const OVERDUE_ALARM_IDS = { general: 'hidden-danger:OVERDUE', major: 'hidden-danger:OVERDUE_MAJOR' } as const;
const DIAGNOSTIC_POINT = 'gateway';

/**
 * Platform point code → local point id over every uplink target's mapping. A code two targets map
 * to different points names no point (the record then carries none rather than a wrong one).
 */
export function localPointOfCode(mappings: readonly (readonly { point: string; code: string }[])[]): (code: string) => string | undefined {
  const byCode = new Map<string, string | null>();
  for (const m of mappings)
    for (const { point, code } of m) {
      const seen = byCode.get(code);
      byCode.set(code, seen === undefined || seen === point ? point : null);
    }
  return (code) => byCode.get(code) ?? undefined;
}

/** Does the uplink (or anything) offer the warning channel of gateway/core/hidden-danger.ts? */
export function isWarningChannel(s: unknown): s is WarningChannel {
  if (typeof s !== 'object' || s === null) return false;
  const c = s as Partial<Record<keyof WarningChannel, unknown>>;
  return typeof c.warnings$ === 'object' && c.warnings$ !== null && typeof c.sendFeedback === 'function' && typeof c.sendHiddenDanger === 'function';
}

export interface HiddenDangerServiceOptions {
  /** The link to the tier above; by default the uplink service when it implements WarningChannel. */
  channel?: WarningChannel | undefined;
}

/**
 * 隐患闭环 (gateway/services/hidden-danger): hidden-danger records in SQLite with their audited
 * history; dispatch rules that open records from alarms; deadlines with reminders, escalation and
 * overdue alarms; warnings from above turned into records with feedback; records sent upstream at
 * every change; the API under /api/v1/hidden-dangers. See README.md.
 */
export class HiddenDangerService implements Service {
  readonly name = 'hidden-danger';
  readonly store: HiddenDangerStore;
  readonly loop: HiddenDangerLoop;
  private readonly dispatcher: Dispatcher;
  private readonly diagnostics = new Subject<ConditionUpdate>();
  /** Starts with the current overdue state of both levels (the rule runner subscribes after start). */
  readonly diagnostics$: Observable<ConditionUpdate> = defer(() => this.diagnostics.pipe(startWith(...this.overdueConditions())));
  private readonly subs: Subscription[] = [];
  private timer: Subscription | undefined;
  private channel: WarningChannel | undefined;
  private overdue: Record<'general' | 'major', string[]> = { general: [], major: [] };
  private readonly photos: PhotoFiles;

  constructor(
    private readonly ctx: ServiceContext,
    private cfg: HiddenDangerSection,
    private readonly options: HiddenDangerServiceOptions = {},
  ) {
    // Transitions are rare and must survive power loss: the connection that fsyncs every commit.
    this.store = new HiddenDangerStore(ctx.queueDb());
    this.photos = PhotoFiles.under(ctx.dataDir);
    const equipmentOf = (point: string) => ctx.points.get(point)?.equipment || undefined;
    const pointOfCode = localPointOfCode(uplinkTargets(ctx.config.uplink).map((t) => t.config.points));
    this.loop = new HiddenDangerLoop({ store: this.store, config: cfg, now: () => ctx.now(), equipmentOf, pointOfCode, log: ctx.log.child('hidden-danger') });
    this.dispatcher = new Dispatcher(cfg.rules, {
      scheduler: ctx.scheduler,
      alarm: (id) => this.alarmFacts(id),
      equipmentOf,
      open: (rule, alarm, reason) => this.guard(() => this.loop.openFromAlarm(rule, alarm, reason)),
      openRecordOf: (alarmId) => {
        const id = this.store.openRecordForAlarm(alarmId);
        return id ? this.store.get(id) : undefined;
      },
      record: (id) => this.store.get(id),
      proposeClosure: (id, reason) => this.guard(() => this.loop.proposeClosure(id, reason)),
    });
    ctx.metrics.describe('hidden_danger_changes', 'Changes of hidden-danger records, by kind');
    ctx.metrics.describe('hidden_danger_errors', 'Hidden-danger changes that failed (logged), by where');
  }

  private alarmFacts(alarmId: string): (AlarmFacts & { active: boolean; activeSince?: number | undefined; ts: number }) | undefined {
    if (!this.ctx.alarms.has(alarmId)) return undefined;
    const s = this.ctx.alarms.get(alarmId);
    return { alarmId, point: s.point, condition: s.condition, severity: s.severity, area: s.area, message: s.message, value: s.value, unit: s.unit, active: s.facts.active, activeSince: s.activeSince, ts: s.ts };
  }

  /** Runs a change the gateway makes by itself; a failure is logged and counted, never thrown into a stream. */
  private guard(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.ctx.metrics.inc('hidden_danger_errors', { where: 'automatic' });
      this.ctx.log.error(`隐患自动处理失败 [hidden-danger automatic change failed]: ${(err as Error).message}`);
    }
  }

  alarmDefinitions(): AlarmDefinition[] {
    return [
      { alarmId: OVERDUE_ALARM_IDS.general, point: DIAGNOSTIC_POINT, condition: 'OVERDUE', severity: 2, label: '隐患逾期', message: '一般隐患逾期未整改', ruleId: 'hidden-danger' },
      { alarmId: OVERDUE_ALARM_IDS.major, point: DIAGNOSTIC_POINT, condition: 'OVERDUE_MAJOR', severity: 4, label: '重大隐患逾期', message: '重大隐患逾期未整改', ruleId: 'hidden-danger' },
    ];
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const uplink = ctx.service('uplink');
    this.channel = this.options.channel ?? (isWarningChannel(uplink) ? uplink : undefined);
    if (!this.cfg.safetyHead && this.cfg.escalation.some((s) => s.to === 'safetyHead')) {
      ctx.log.warn('hiddenDanger.safetyHead 未设置：升级链的“企业安全负责人”一级改为升级至管理员 [no safetyHead: that escalation stage goes to the admin role]');
    }
    this.subs.push(this.loop.changes$.subscribe((c) => this.onChange(c)));
    if (this.channel) {
      const channel = this.channel;
      // Whatever a crash left between a commit and the hand-over goes now (the receiver keeps the latest revision).
      // Guarded one by one: a queue that cannot commit now must not stop the service (they go at the next start).
      for (const r of this.loop.unsent()) this.guard(() => this.send(r));
      for (const w of this.store.warningsAwaitingFeedback()) this.guard(() => this.syncFeedback(w.recordId));
      this.subs.push(channel.warnings$.subscribe((w) => this.guard(() => this.onWarning(w))));
    }
    const api = ctx.service<ApiService>('api');
    if (api && typeof api.extend === 'function') {
      api.extend((router, deps, app) =>
        hiddenDangerRoutes(router, deps, app, { loop: this.loop, photos: this.photos, config: () => this.cfg, now: () => ctx.now(), submitted: (id) => this.dispatcher.reviewClosure(id) }),
      );
    }
    this.dispatcher.start(ctx.alarmEvents$, ctx.alarms.list().map((s) => s.alarmId), this.pastShelves());
    this.check();
    const again = (): void => {
      this.check();
      this.timer = ctx.scheduler.schedule(again, this.cfg.checkInterval);
    };
    this.timer = ctx.scheduler.schedule(again, this.cfg.checkInterval);
    return Promise.resolve();
  }

  /** Shelves within the longest `shelved` window, from the alarm journal's audit log (counts survive a restart). */
  private pastShelves(): { alarmId: string; ts: number }[] {
    const window = this.dispatcher.shelveWindow;
    const db = this.ctx.db;
    if (!window || !db) return [];
    try {
      return db.prepare("SELECT alarm_id AS alarmId, ts FROM audit_log WHERE action = 'SHELVE' AND ts >= ? ORDER BY id").all(this.ctx.now() - window) as { alarmId: string; ts: number }[];
    } catch (err) {
      this.ctx.log.warn(`报警搁置记录读取失败，搁置次数从零计 [could not read past shelves]: ${(err as Error).message}`);
      return [];
    }
  }

  /** Deadlines: reminders, escalation, and the overdue alarms (one per level, naming the records). */
  check(): void {
    let overdue: { id: string; level: 'general' | 'major' }[];
    try {
      overdue = this.loop.checkDeadlines();
    } catch (err) {
      this.ctx.metrics.inc('hidden_danger_errors', { where: 'deadlines' });
      this.ctx.log.error(`隐患期限检查失败 [deadline check failed]: ${(err as Error).message}`);
      return;
    }
    for (const level of ['general', 'major'] as const) {
      const ids = overdue.filter((r) => r.level === level).map((r) => r.id);
      const before = this.overdue[level];
      if (ids.join(',') === before.join(',')) continue;
      this.overdue[level] = ids;
      this.diagnostics.next(this.overdueCondition(level));
    }
  }

  private overdueCondition(level: 'general' | 'major'): ConditionUpdate {
    const ids = this.overdue[level];
    const shown = ids.slice(0, 5).join('、') + (ids.length > 5 ? ` 等 ${ids.length} 项` : '');
    return { alarmId: OVERDUE_ALARM_IDS[level], active: ids.length > 0, value: ids.length, ts: this.ctx.now(), ...(ids.length ? { detail: `逾期 ${ids.length} 项：${shown}` } : {}) };
  }

  private overdueConditions(): ConditionUpdate[] {
    return [this.overdueCondition('general'), this.overdueCondition('major')];
  }

  private onChange(c: Change): void {
    this.ctx.metrics.inc('hidden_danger_changes', { kind: c.entry.kind });
    if (!this.channel) return;
    this.guard(() => {
      this.send(c.after);
      if (c.after.warningId !== undefined) this.syncFeedback(c.after.id);
    });
  }

  /**
   * The enterprise as the platform knows it: the uplink's `enterpriseCode` / `enterpriseName` when
   * set, else gateway.enterprise (the uplink's own rule). The platform addresses warnings to that
   * code and refuses records whose company is not the sender.
   */
  private enterprise(): { code: string; name: string | undefined } {
    const { gateway, uplink } = this.ctx.config;
    // With several targets the first names the enterprise (targets of one gateway report one enterprise).
    const first = uplinkTargets(uplink)[0]?.config;
    return { code: first?.enterpriseCode ?? gateway.enterprise.creditCode, name: first?.enterpriseName ?? gateway.enterprise.name };
  }

  private send(r: HiddenDangerRecord): void {
    const photos = this.store.photos(r.id);
    const report = toReport(r, { before: photos.filter((p) => p.phase === 'before').map((p) => p.file), after: photos.filter((p) => p.phase === 'after').map((p) => p.file) }, this.enterprise());
    this.channel!.sendHiddenDanger(report);
    this.store.markSent(r.id, r.revision);
  }

  private onWarning(w: PlatformWarning): void {
    const creditCode = this.enterprise().code;
    if (w.enterpriseCode !== creditCode) {
      this.ctx.metrics.inc('hidden_danger_errors', { where: 'warning_enterprise' });
      this.ctx.log.warn(`上级预警 ${w.warningId} 的企业代码 ${w.enterpriseCode} 不是本企业 ${creditCode}，已忽略 [warning for another enterprise ignored]`);
      return;
    }
    this.loop.fromWarning(w);
  }

  /**
   * Feedback on a warning follows its record: received at once, in_hand once rectification started,
   * answered at closure with the acceptance comment. Each state is queued once (hd_warning).
   */
  private syncFeedback(recordId: string): void {
    const r = this.store.get(recordId);
    if (!r?.warningId || !this.channel) return;
    const w = this.store.warning(r.warningId);
    if (!w) return;
    const due: { state: FeedbackState; content: string; by: string; at: number }[] = [
      { state: 'received', content: `已签收，登记为隐患 ${r.id}，责任人 ${r.liablePerson ?? r.liableRole ?? '待评估'}，整改期限 ${r.dangerManageDeadline ? formatCn(r.dangerManageDeadline) : '待定'}`, by: r.registrant, at: r.registTime },
    ];
    if (r.rectifyStartedBy !== undefined) due.push({ state: 'in_hand', content: `隐患 ${r.id} 整改中${r.controlMeasures ? `，管控措施：${r.controlMeasures}` : ''}`, by: r.rectifyStartedBy, at: r.updatedAt });
    if (r.state === 'closed') due.push({ state: 'answered', content: `隐患 ${r.id} 已整改并验收销号。整改情况：${r.rectification ?? ''}；验收意见：${r.checkAcceptComment ?? ''}`, by: r.checkAcceptPerson ?? SYSTEM_USER, at: r.checkAcceptTime ?? r.updatedAt });
    for (const f of due) {
      if (w.sent.includes(f.state)) continue;
      this.channel.sendFeedback({ warningId: r.warningId, state: f.state, hazardId: r.id, content: f.content.slice(0, 2000), handledBy: f.by.slice(0, 64), at: f.at });
      this.store.markFeedback(r.warningId, f.state);
    }
  }

  health(): ServiceHealth {
    return { ok: true };
  }

  async stop(): Promise<void> {
    this.timer?.unsubscribe();
    this.dispatcher.stop();
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.diagnostics.complete();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new HiddenDangerService(ctx, ctx.config.hiddenDanger!);
}
