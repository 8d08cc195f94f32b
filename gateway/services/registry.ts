import type { GatewayConfig } from '../config/schema.js';
import { CENTRE_BROKER_POINT, HEALTH_POINTS, uplinkHealthPoints } from './health-points.js';
import type { ServiceDefinition } from './service.js';

/**
 * Everything the runtime starts besides the adapters, in start order (each entry's `after` names
 * what must run first; stop order is the reverse). A new service is a folder with a `service.ts`
 * exporting createService(ctx), plus one entry here. The HTTP server comes last so every route the
 * others add exists before it listens.
 */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'mqtt-broker',
    enabled: (c) => c.mqtt.broker === 'embedded',
    restartOn: ['mqtt'],
    load: () => import('../mqtt/broker-service.js'),
  },
  {
    name: 'mqtt-publisher',
    after: ['mqtt-broker'],
    enabled: () => true,
    restartOn: ['mqtt'],
    diagnosticPoints: () => [HEALTH_POINTS['mqtt-publisher']],
    load: () => import('../sinks/mqtt-publisher-service.js'),
  },
  {
    name: 'influx',
    enabled: (c) => c.influx?.enabled === true,
    restartOn: ['influx'],
    diagnosticPoints: () => [HEALTH_POINTS.influx],
    load: () => import('../sinks/influx/service.js'),
  },
  {
    name: 'uplink',
    enabled: (c) => c.uplink?.enabled === true,
    restartOn: ['uplink'],
    diagnosticPoints: (c) => uplinkHealthPoints(c),
    load: () => import('../uplink/service.js'),
  },
  {
    name: 'centre',
    enabled: (c) => c.centre?.enabled === true,
    restartOn: ['centre'],
    diagnosticPoints: () => [CENTRE_BROKER_POINT],
    load: () => import('./centre/service.js'),
  },
  {
    name: 'control',
    enabled: () => true,
    load: () => import('../control/service.js'),
  },
  {
    name: 'terminal',
    enabled: () => true,
    load: () => import('./terminal/service.js'),
  },
  {
    name: 'history',
    enabled: (c) => c.history.enabled,
    restartOn: ['history'],
    load: () => import('./history/service.js'),
  },
  {
    name: 'api',
    after: ['history', 'centre'],
    enabled: (c) => c.http?.enabled === true,
    restartOn: ['http'],
    load: () => import('./api/service.js'),
  },
  {
    name: 'console',
    enabled: (c) => c.http?.enabled === true,
    load: () => import('./console/service.js'),
  },
  {
    name: 'hidden-danger',
    after: ['uplink', 'history', 'api'],
    enabled: (c) => c.hiddenDanger?.enabled === true,
    restartOn: ['hiddenDanger'],
    load: () => import('./hidden-danger/service.js'),
  },
  {
    name: 'http',
    after: ['mqtt-broker', 'mqtt-publisher', 'influx', 'uplink', 'centre', 'control', 'terminal', 'history', 'api', 'console', 'hidden-danger'],
    enabled: (c) => c.http?.enabled === true,
    restartOn: ['http'],
    load: () => import('./http/service.js'),
  },
];

export function findService(name: string): ServiceDefinition | undefined {
  return SERVICES.find((s) => s.name === name);
}

/** Enabled services in start order: registry order, with every `after` dependency first. */
export function startOrder(config: GatewayConfig, services: readonly ServiceDefinition[] = SERVICES): ServiceDefinition[] {
  const enabled = new Map(services.filter((s) => s.enabled(config)).map((s) => [s.name, s]));
  const out: ServiceDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: ServiceDefinition, path: string[]): void => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting') throw new Error(`service dependency cycle: ${[...path, s.name].join(' → ')}`);
    state.set(s.name, 'visiting');
    for (const dep of s.after ?? []) {
      const d = enabled.get(dep);
      if (d) visit(d, [...path, s.name]);
      else if (!services.some((x) => x.name === dep)) throw new Error(`service ${s.name}: unknown dependency "${dep}"`);
    }
    state.set(s.name, 'done');
    out.push(s);
  };
  for (const s of enabled.values()) visit(s, []);
  return out;
}
