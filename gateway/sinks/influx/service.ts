import { HealthPublisher } from '../../services/health-point.js';
import type { Service, ServiceContext, ServiceHealth } from '../../services/service.js';
import { InfluxSink } from './influx-sink.js';

export const INFLUX_WRITE_OK_POINT = 'gateway.influx.write_ok';

/** History to InfluxDB / VictoriaMetrics; its health is the point gateway.influx.write_ok. */
class InfluxService implements Service {
  readonly name = 'influx';
  readonly sink: InfluxSink;
  private readonly health$: HealthPublisher;
  private removeCollector: (() => void) | undefined;

  constructor(private readonly ctx: ServiceContext) {
    const cfg = ctx.config.influx!;
    this.sink = new InfluxSink({ config: cfg, gatewayId: ctx.gatewayId, logger: ctx.log, metrics: ctx.metrics, db: ctx.queueDb(), points: ctx.points, scheduler: ctx.scheduler });
    this.health$ = new HealthPublisher(ctx, INFLUX_WRITE_OK_POINT);
  }

  get diagnostics$() {
    return this.sink.diagnostics$;
  }

  alarmDefinitions() {
    return this.sink.alarmDefinitions();
  }

  start(): Promise<void> {
    this.sink.start(this.ctx.readings$, this.ctx.alarmEvents$, this.ctx.historicalReadings$);
    this.health$.start(() => this.sink.writeOk);
    const m = this.ctx.metrics;
    this.removeCollector = m.collect(() => {
      const oldest = this.sink.queue.oldestCreatedAt();
      m.set('influx_queue_lines', this.sink.queue.lines);
      m.set('influx_queue_batches', this.sink.queue.batches);
      m.set('influx_queue_oldest_age_seconds', oldest === undefined ? 0 : Math.max(0, this.ctx.now() - oldest) / 1000);
    });
    return Promise.resolve();
  }

  health(): ServiceHealth {
    return this.sink.writeOk ? { ok: true } : { ok: false, detail: 'InfluxDB 写入失败 (writes failing; lines queued on disk)' };
  }

  async stop(): Promise<void> {
    this.removeCollector?.();
    this.health$.stop();
    await this.sink.stop();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new InfluxService(ctx);
}
