import { join } from 'node:path';
import { merge, tap, type Observable } from 'rxjs';
import { HealthPublisher } from '../services/health-point.js';
import { uplinkTargetHealthPoint } from '../services/health-points.js';
import type { Service, ServiceContext, ServiceHealth } from '../services/service.js';
import type { ConditionUpdate } from '../core/condition.js';
import { openDatabase, type Db } from '../store/database.js';
import { uplinkTargets, type ResolvedUplinkTarget } from './config.js';
import { UplinkSink } from './uplink-sink.js';
import type { HiddenDangerReport, WarningChannel } from '../core/hidden-danger.js';
import type { PlatformWarning, WarningFeedback } from '../core/platform-warning.js';
import type { CentreSummary } from './summary.js';

export const UPLINK_LINK_UP_POINT = 'gateway.uplink.link_up';

/** One running target: its sink, its health point and, for named targets, its own queue database. */
interface TargetRun {
  name: string | undefined;
  /** The transport profile (mqtt, mem-http-sm4, …). */
  profile: string;
  sink: UplinkSink;
  health$: HealthPublisher;
  ownDb: Db | undefined;
}

/**
 * Store-and-forward uplink to the tier above. One UplinkSink per target (`uplink.targets`), each
 * with its own queue, transport, health point and alarms: the sinks share nothing but the gateway's
 * streams, so one target's outage never delays another. The single-section form keeps its queue in
 * the gateway database and its point gateway.uplink.link_up; named targets queue in
 * <dataDir>/uplink-<name>.db and publish gateway.uplink.<name>.link_up.
 *
 * It is the hidden-danger service's WarningChannel (`ctx.service('uplink')`): warnings from every
 * target, feedback back to the target the warning came from, records to every target.
 */
export class UplinkService implements Service, WarningChannel {
  readonly name = 'uplink';
  private readonly runs: TargetRun[];
  /** Which target each warning came from, so its feedback goes back there. */
  private readonly warningOrigin = new Map<string, TargetRun>();

  constructor(private readonly ctx: ServiceContext) {
    this.runs = uplinkTargets(ctx.config.uplink).map((t) => this.createRun(t));
  }

  private createRun(t: ResolvedUplinkTarget): TargetRun {
    const ctx = this.ctx;
    const cfg = ctx.config;
    // A separate file per target: a full or slow queue of one never blocks the other's commits.
    const ownDb = t.name === undefined ? undefined : openDatabase(join(ctx.dataDir, `uplink-${t.name}.db`));
    const sink = new UplinkSink({
      config: t.config,
      target: t.name,
      gateway: { id: cfg.gateway.id, creditCode: cfg.gateway.enterprise.creditCode, enterpriseName: cfg.gateway.enterprise.name, name: cfg.gateway.name },
      logger: ctx.log,
      metrics: ctx.metrics,
      db: ownDb ?? ctx.queueDb(),
      // Looked up per message: a device may report a unit the config left out after start.
      unitOf: (id) => ctx.points.get(id)?.unit || undefined,
      latestOf: (id) => ctx.points.latest(id),
      pointOf: (id) => ctx.points.get(id),
      scheduler: ctx.scheduler,
    });
    const point = t.name === undefined ? UPLINK_LINK_UP_POINT : uplinkTargetHealthPoint(t.name).id;
    return { name: t.name, profile: t.config.transport.profile, sink, health$: new HealthPublisher(ctx, point), ownDb };
  }

  /** Warnings from every target whose profile has `warnings` configured; see gateway/uplink/README.md. */
  get warnings$(): Observable<PlatformWarning> {
    return merge(...this.runs.map((r) => r.sink.warnings$.pipe(tap((w) => this.warningOrigin.set(w.warningId, r)))));
  }

  /** Feedback goes to the tier that sent the warning; to every target if that is not known. */
  sendFeedback(feedback: WarningFeedback): void {
    const origin = this.warningOrigin.get(feedback.warningId);
    for (const r of origin ? [origin] : this.runs) r.sink.sendFeedback(feedback);
  }

  /** Every tier above follows the enterprise's hidden dangers. */
  sendHiddenDanger(report: HiddenDangerReport): void {
    for (const r of this.runs) r.sink.sendHiddenDanger(report);
  }

  /**
   * A centre's summary to the tier above: to the named targets, or when none are named to every
   * `mqtt` target (a centre above listens there; a government platform would refuse the unknown
   * type and hold its queue up with retries). Returns the targets it was queued for.
   */
  sendSummary(summary: CentreSummary, targets?: readonly string[]): (string | undefined)[] {
    const runs = targets === undefined ? this.runs.filter((r) => r.profile === 'mqtt') : this.runs.filter((r) => r.name !== undefined && targets.includes(r.name));
    for (const r of runs) r.sink.sendSummary(summary);
    return runs.map((r) => r.name);
  }

  /** The sink of the single-section form, or of the named target. */
  sink(target?: string): UplinkSink | undefined {
    return this.runs.find((r) => r.name === target)?.sink;
  }

  /** Every target's sink, in config order. */
  get sinks(): readonly { name: string | undefined; sink: UplinkSink }[] {
    return this.runs;
  }

  get diagnostics$(): Observable<ConditionUpdate> {
    return merge(...this.runs.map((r) => r.sink.diagnostics$));  }

  alarmDefinitions() {
    return this.runs.flatMap((r) => r.sink.alarmDefinitions());
  }

  start(): Promise<void> {
    for (const r of this.runs) {
      r.sink.start(this.ctx.readings$, this.ctx.alarmEvents$);
      r.health$.start(() => r.sink.isLinkUp);
    }
    return Promise.resolve();
  }

  /** Limits are part of the platform's base data: re-register when they changed. */
  reload(): void {
    for (const r of this.runs) r.sink.configReloaded();
  }

  health(): ServiceHealth {
    const down = this.runs.filter((r) => !r.sink.isLinkUp);
    if (down.length === 0) return { ok: true };
    if (this.runs.length === 1 && this.runs[0]!.name === undefined) return { ok: false, detail: '上报链路中断 (platform link down; messages queued on disk)' };
    return { ok: false, detail: `上报链路中断：${down.map((r) => r.name).join('、')} (link down; messages queued on disk)` };
  }

  async stop(): Promise<void> {
    // Each sink waits for its own in-flight send; stopping them together keeps a dead target from holding up the others.
    await Promise.all(
      this.runs.map(async (r) => {
        r.health$.stop();
        await r.sink.stop();
        r.ownDb?.close();
      }),
    );
  }
}

export function createService(ctx: ServiceContext): Service {
  return new UplinkService(ctx);
}
