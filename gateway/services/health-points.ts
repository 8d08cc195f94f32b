import type { BasePoint } from '../core/point.js';

/** The area of the gateway's own diagnostic points and alarms. */
export const SYSTEM_AREA = 'gateway';

/** A boolean health point of a service (true = healthy), defined like a device's comm_ok point. */
export function healthPoint(id: string, name: string, description: string): BasePoint {
  return { id, name, unit: '', area: SYSTEM_AREA, equipment: '网关', description };
}

/** The config facts that decide which services run (a structural view, so the config schema can ask). */
export interface ServiceSwitches {
  influx?: { enabled: boolean } | undefined;
  uplink?: { enabled: boolean; targets?: readonly { name: string; enabled: boolean }[] } | undefined;
  centre?: { enabled: boolean } | undefined;
}

/**
 * Health points of the gateway's own services, by service name. The registry publishes them; the
 * config schema lets rules name them (as devices' comm_ok points), without importing the registry.
 */
export const HEALTH_POINTS = {
  'mqtt-publisher': healthPoint('gateway.mqtt.connected', '网关 MQTT 连接状态', 'MQTT 发布连接正常 (true) / 中断 (false)'),
  influx: healthPoint('gateway.influx.write_ok', '历史库写入状态', 'InfluxDB 写入正常 (true) / 失败 (false)'),
  uplink: healthPoint('gateway.uplink.link_up', '省级平台上报链路状态', '上报链路正常 (true) / 中断 (false)'),
} as const satisfies Record<string, BasePoint>;

/** The centre role's connection to the broker its enterprises uplink to. */
export const CENTRE_BROKER_POINT = healthPoint('gateway.centre.broker_connected', '监测中心接入连接状态', '企业上报接入 broker 连接正常 (true) / 中断 (false)');

/** The link health point of one of several uplink targets: gateway.uplink.<target>.link_up. */
export function uplinkTargetHealthPoint(target: string): BasePoint {
  return healthPoint(`gateway.uplink.${target}.link_up`, `上报链路状态（${target}）`, `上报目标 ${target} 链路正常 (true) / 中断 (false)`);
}

/** Health points of the uplink: one for the single-target form, one per enabled target otherwise. */
export function uplinkHealthPoints(cfg: ServiceSwitches): BasePoint[] {
  if (!cfg.uplink?.enabled) return [];
  if (!cfg.uplink.targets) return [HEALTH_POINTS.uplink];
  return cfg.uplink.targets.filter((t) => t.enabled).map((t) => uplinkTargetHealthPoint(t.name));
}

/** Health points of the services this config enables. */
export function servicePoints(cfg: ServiceSwitches): BasePoint[] {
  return [HEALTH_POINTS['mqtt-publisher'], ...(cfg.influx?.enabled ? [HEALTH_POINTS.influx] : []), ...uplinkHealthPoints(cfg), ...(cfg.centre?.enabled ? [CENTRE_BROKER_POINT] : [])];
}
