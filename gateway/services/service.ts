import type { Observable, SchedulerLike } from 'rxjs';
import type { AlarmManager } from '../alarms/alarm-manager.js';
import type { GatewayConfig } from '../config/schema.js';
import type { AlarmEvent } from '../core/alarm-event.js';
import type { ReadingBus } from '../core/bus.js';
import type { AlarmDefinition, ConditionUpdate } from '../core/condition.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { BasePoint } from '../core/point.js';
import type { PointRegistry } from '../core/point-registry.js';
import type { Reading } from '../core/reading.js';
import type { Db } from '../store/database.js';
import type { HttpRoutes } from './http-routes.js';

/**
 * What the composition root gives every service. Services read the streams and the registry, act on
 * alarms only through the alarm manager's operator methods, and publish their own health as
 * diagnostic points on the bus.
 */
export interface ServiceContext {
  readonly config: GatewayConfig;
  readonly gatewayId: string;
  readonly dataDir: string;
  readonly readings$: Observable<Reading>;
  /** Readings from the past with their own timestamps (ReadingBus.historical$): for history sinks only. */
  readonly historicalReadings$: Observable<Reading>;
  readonly alarmEvents$: Observable<AlarmEvent>;
  readonly bus: ReadingBus;
  readonly points: PointRegistry;
  readonly alarms: AlarmManager;
  readonly scheduler: SchedulerLike;
  /** Wall-clock time in ms; the scheduler's now() (virtual in tests). */
  now(): number;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The journal's database (synchronous=NORMAL, the alarm path). */
  readonly db: Db | undefined;
  /** A second connection with fsync per commit, for store-and-forward queues. Opened on first use. */
  queueDb(): Db;
  /** Where the terminal reporter writes alarm lines and the summary. */
  readonly write: (line: string) => void;
  /** Command-line overrides (the CLI's --mqtt-port, --http-port). */
  readonly overrides: { readonly mqttPort?: number | undefined; readonly httpPort?: number | undefined };
  /** Routes that services add to the gateway's HTTP server before it listens. */
  readonly http: HttpRoutes;
  /** Another started service, by name (dependencies are started first). */
  service<T extends Service>(name: string): T | undefined;
}

/** Whether a service is doing its job: `/readyz` and the diagnostic points report it. */
export interface ServiceHealth {
  ok: boolean;
  /** Why not, in a few words (Chinese first where an operator reads it). */
  detail?: string;
}

/** Something the runtime starts and stops: a sink, a link, a server, a reporter. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health?(): ServiceHealth;
  /** Alarms the service raises about itself, and the conditions that drive them. */
  alarmDefinitions?(): AlarmDefinition[];
  readonly diagnostics$?: Observable<ConditionUpdate>;
  /** Applies a reloaded config the service can take without a restart. */
  reload?(config: GatewayConfig): void;
}

/**
 * One registry entry: a service is a folder plus one of these in gateway/services/registry.ts.
 * `load` is lazy so `validate` and other commands do not load every stack.
 */
export interface ServiceDefinition {
  readonly name: string;
  /** Services started before this one (and stopped after it). */
  readonly after?: readonly string[];
  enabled(config: GatewayConfig): boolean;
  /** Health points the service publishes (e.g. gateway.uplink.link_up), known to the config checks. */
  diagnosticPoints?(config: GatewayConfig): BasePoint[];
  /** Config sections whose change needs this service restarted (hot reload refuses them). */
  readonly restartOn?: readonly (keyof GatewayConfig)[];
  load(): Promise<{ createService(ctx: ServiceContext): Service }>;
}
