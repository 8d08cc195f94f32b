import { HealthPublisher } from '../services/health-point.js';
import type { Service, ServiceContext, ServiceHealth } from '../services/service.js';
import { UplinkSink } from './uplink-sink.js';
import type { HiddenDangerReport, WarningChannel } from '../core/hidden-danger.js';
import type { PlatformWarning, WarningFeedback } from '../core/platform-warning.js';
import type { Observable } from 'rxjs';

export const UPLINK_LINK_UP_POINT = 'gateway.uplink.link_up';

/**
 * Store-and-forward uplink to the provincial platform; its health is the point gateway.uplink.link_up.
 * It is the hidden-danger service's WarningChannel: `ctx.service<UplinkService>('uplink')`.
 */
export class UplinkService implements Service, WarningChannel {
  readonly name = 'uplink';
  readonly sink: UplinkSink;
  private readonly health$: HealthPublisher;

  constructor(private readonly ctx: ServiceContext) {
    const cfg = ctx.config;
    this.sink = new UplinkSink({
      config: cfg.uplink!,
      gateway: { id: cfg.gateway.id, creditCode: cfg.gateway.enterprise.creditCode, enterpriseName: cfg.gateway.enterprise.name, name: cfg.gateway.name },
      logger: ctx.log,
      metrics: ctx.metrics,
      db: ctx.queueDb(),
      // Looked up per message: a device may report a unit the config left out after start.
      unitOf: (id) => ctx.points.get(id)?.unit || undefined,
      latestOf: (id) => ctx.points.latest(id),
      pointOf: (id) => ctx.points.get(id),
      scheduler: ctx.scheduler,
    });
    this.health$ = new HealthPublisher(ctx, UPLINK_LINK_UP_POINT);
  }

  /** Warnings from the platform (profiles with `warnings` configured); see gateway/uplink/README.md. */
  get warnings$(): Observable<PlatformWarning> {
    return this.sink.warnings$;
  }

  sendFeedback(feedback: WarningFeedback): void {
    this.sink.sendFeedback(feedback);
  }

  sendHiddenDanger(report: HiddenDangerReport): void {
    this.sink.sendHiddenDanger(report);
  }

  get diagnostics$() {
    return this.sink.diagnostics$;
  }

  alarmDefinitions() {
    return this.sink.alarmDefinitions();
  }

  start(): Promise<void> {
    this.sink.start(this.ctx.readings$, this.ctx.alarmEvents$);
    this.health$.start(() => this.sink.isLinkUp);
    return Promise.resolve();
  }

  /** Limits are part of the platform's base data: re-register when they changed. */
  reload(): void {
    this.sink.configReloaded();
  }

  health(): ServiceHealth {
    return this.sink.isLinkUp ? { ok: true } : { ok: false, detail: '上报链路中断 (platform link down; messages queued on disk)' };
  }

  async stop(): Promise<void> {
    this.health$.stop();
    await this.sink.stop();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new UplinkService(ctx);
}
