import type { Service, ServiceContext, ServiceHealth } from '../services/service.js';
import { UserStore } from '../auth/user-store.js';
import { SecurityAudit } from '../auth/security-audit.js';
import { ApiTokenStore } from '../auth/tokens.js';
import { EmbeddedBroker } from './broker.js';

/** The embedded aedes broker (mqtt.broker: embedded). Other services find its URL and credential here. */
export class BrokerService implements Service {
  readonly name = 'mqtt-broker';
  readonly broker: EmbeddedBroker;
  private removeCollector: (() => void) | undefined;

  constructor(private readonly ctx: ServiceContext) {
    const m = ctx.config.mqtt;
    this.broker = new EmbeddedBroker({
      host: m.host,
      port: ctx.overrides.mqttPort ?? m.port,
      gatewayId: ctx.gatewayId,
      allowAnonymous: m.allowAnonymous,
      // One user store for the broker, the HTTP API and the console.
      users: ctx.db ? new UserStore(ctx.db) : undefined,
      tokens: ctx.db ? new ApiTokenStore(ctx.db) : undefined,
      audit: ctx.db ? new SecurityAudit(ctx.db) : undefined,
      passwordFile: m.passwordFile,
      aclFile: m.aclFile,
      tls: m.tls,
      limits: m.limits,
      log: ctx.log.child('mqtt-broker'),
      metrics: ctx.metrics,
    });
  }

  get url(): string {
    return `mqtt://${this.ctx.config.mqtt.host}:${this.broker.port}`;
  }

  async start(): Promise<void> {
    await this.broker.start();
    this.removeCollector = this.ctx.metrics.collect(() => this.ctx.metrics.set('mqtt_clients_connected', this.broker.connectedClients()));
  }

  health(): ServiceHealth {
    return this.broker.port > 0 ? { ok: true } : { ok: false, detail: 'not listening' };
  }

  async stop(): Promise<void> {
    this.removeCollector?.();
    await this.broker.stop();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new BrokerService(ctx);
}
