import { Subject } from 'rxjs';
import { devicePublish } from '../../adapters/registry.js';
import type { AlarmDefinition, ConditionUpdate } from '../core/condition.js';
import type { BrokerService } from '../mqtt/broker-service.js';
import { HealthPublisher } from '../services/health-point.js';
import type { Service, ServiceContext, ServiceHealth } from '../services/service.js';
import { resolvePublishPolicy, type PublishPolicy, PUBLISH_NOTHING } from './mqtt-publish-policy.js';
import { MqttPublisher } from './mqtt-publisher.js';

export const MQTT_CONNECTED_POINT = 'gateway.mqtt.connected';
export const MQTT_ALARM_IDS = { disconnected: 'mqtt:DISCONNECTED' } as const;
/** A broker restart or a blip is not worth an alarm; a minute without the HMI link is. */
const DISCONNECTED_ALARM_AFTER_MS = 60_000;

/**
 * Readings (by each point's publication policy), alarm states, events and the online/offline status
 * on MQTT, to the embedded broker or an external one. Its link is the health point
 * gateway.mqtt.connected; a minute without the broker raises mqtt:DISCONNECTED.
 */
class MqttPublisherService implements Service {
  readonly name = 'mqtt-publisher';
  private publisher: MqttPublisher | undefined;
  private readonly health$: HealthPublisher;
  private readonly conditions = new Subject<ConditionUpdate>();
  readonly diagnostics$ = this.conditions.asObservable();
  private disconnectedSince: number | undefined;
  private alarmRaised = false;

  constructor(private readonly ctx: ServiceContext) {
    this.health$ = new HealthPublisher(ctx, MQTT_CONNECTED_POINT);
  }

  alarmDefinitions(): AlarmDefinition[] {
    return mqttAlarmDefinitions();
  }

  private policies(): Map<string, PublishPolicy> {
    const cfg = this.ctx.config;
    const map = new Map<string, PublishPolicy>();
    for (const d of cfg.devices) {
      const device = devicePublish(d);
      for (const p of d.points) map.set(p.id, resolvePublishPolicy(p, device, cfg.mqtt.publishReadings, cfg.mqtt.readingsMaxInterval));
    }
    return map;
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const cfg = ctx.config;
    let url = cfg.mqtt.url!;
    let credentials: { username?: string | undefined; password?: string | undefined } = { username: cfg.mqtt.username, password: cfg.mqtt.password };
    const broker = ctx.service<BrokerService>('mqtt-broker');
    if (broker) {
      url = broker.url;
      credentials = broker.broker.internalUser;
    }
    const embedded = broker?.broker;
    const policies = this.policies();
    const fallback = resolvePublishPolicy({}, undefined, cfg.mqtt.publishReadings, cfg.mqtt.readingsMaxInterval);
    this.publisher = new MqttPublisher({
      url,
      gatewayId: ctx.gatewayId,
      ...credentials,
      // Diagnostic and service points follow the global default.
      policyOf: (id) => policies.get(id) ?? (fallback.off ? PUBLISH_NOTHING : fallback),
      // publishReadings: false and no point or device turning it back on: not one reading is looked at.
      noReadings: fallback.off && [...policies.values()].every((p) => p.off),
      tap: (fn) => ctx.bus.tap(fn),
      log: ctx.log.child('mqtt'),
      metrics: ctx.metrics,
      local: embedded
        ? { publish: (topic, payload, qos, retain) => embedded.publishLocal(topic, payload, qos, retain), hasSubscriberUnder: (prefix) => embedded.hasSubscriberUnder(prefix) }
        : undefined,
    });
    await this.publisher.start(ctx.readings$, ctx.alarmEvents$, ctx.alarms.latestEvents(), ctx.alarms.restored$);
    this.health$.start(() => this.checkLink());
  }

  private checkLink(): boolean {
    const ok = this.publisher?.connected ?? false;
    const now = this.ctx.now();
    if (ok) {
      this.disconnectedSince = undefined;
      if (this.alarmRaised) {
        this.alarmRaised = false;
        this.conditions.next({ alarmId: MQTT_ALARM_IDS.disconnected, active: false, value: true, ts: now });
      }
    } else {
      this.disconnectedSince ??= now;
      if (!this.alarmRaised && now - this.disconnectedSince >= DISCONNECTED_ALARM_AFTER_MS) {
        this.alarmRaised = true;
        this.conditions.next({ alarmId: MQTT_ALARM_IDS.disconnected, active: true, value: false, ts: now });
      }
    }
    return ok;
  }

  health(): ServiceHealth {
    return this.publisher?.connected ? { ok: true } : { ok: false, detail: 'MQTT broker not connected' };
  }

  async stop(): Promise<void> {
    this.health$.stop();
    await this.publisher?.stop();
  }
}

export function mqttAlarmDefinitions(): AlarmDefinition[] {
  return [
    {
      alarmId: MQTT_ALARM_IDS.disconnected,
      point: MQTT_CONNECTED_POINT,
      condition: 'DISCONNECTED',
      severity: 2,
      label: 'MQTT 断开',
      message: '网关与 MQTT 服务器连接中断超过 1 分钟，HMI 和报警墙收不到实时报警',
      ruleId: 'service:mqtt-publisher',
    },
  ];
}

export function createService(ctx: ServiceContext): Service {
  return new MqttPublisherService(ctx);
}
