import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { findAdapter } from '../../adapters/registry.js';
import type { Adapter, AdapterContext } from '../../adapters/types.js';
import { buildRuleSet, type CompiledRule, type RuleSet } from '../../rules/engine.js';
import { AlarmManager, type AlarmJournal } from '../alarms/alarm-manager.js';
import { pointDefinitions, type GatewayConfig } from '../config/schema.js';
import { ReadingBus } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import { Metrics } from '../core/metrics.js';
import { PointRegistry } from '../core/point-registry.js';
import { HttpRoutes } from '../services/http-routes.js';
import type { HttpService, Readiness } from '../services/http/service.js';
import type { BrokerService } from '../mqtt/broker-service.js';
import { SERVICES, startOrder } from '../services/registry.js';
import type { Service, ServiceContext, ServiceDefinition } from '../services/service.js';
import { openDatabase, type Db } from '../store/database.js';
import { GatewayStore } from '../store/gateway-store.js';
import { RuleRunner } from './rule-runner.js';
import { untrustedText } from '../core/untrusted-text.js';

export interface GatewayOptions {
  config: GatewayConfig;
  log: Logger;
  /** Overrides mqtt.port (embedded broker) — the CLI's --mqtt-port. */
  mqttPort?: number | undefined;
  /** Overrides http.port — the CLI's --http-port. */
  httpPort?: number | undefined;
  /** Overrides storage.dataDir — the CLI's --data-dir. */
  dataDir?: string | undefined;
  /** Where alarm lines and the summary go; default stdout. */
  write?: (line: string) => void;
  /** Replaces the SQLite journal (tests, benchmarks). */
  journal?: AlarmJournal;
  scheduler?: SchedulerLike;
  /** Replaces the service registry (tests, benchmarks that run a subset). */
  services?: readonly ServiceDefinition[];
}

/** Why a reloaded config cannot be applied without a restart, or undefined when it can. */
export function reloadProblem(running: GatewayConfig, next: GatewayConfig, services: readonly ServiceDefinition[] = SERVICES): string | undefined {
  const strip = (c: GatewayConfig) => c.devices.map((d) => ({ ...d, points: d.points.map((p) => ({ ...p, limits: undefined })) }));
  if (!isDeepStrictEqual(strip(running), strip(next))) return 'devices or points changed (other than limits): restart the gateway to apply them';
  const sections = new Set<keyof GatewayConfig>(['gateway', 'storage', ...services.flatMap((s) => s.restartOn ?? [])]);
  for (const key of sections) {
    if (!isDeepStrictEqual(running[key], next[key])) return `${key} settings changed: restart the gateway to apply them`;
  }
  return undefined;
}

interface RunningService {
  def: ServiceDefinition;
  service: Service;
  started: boolean;
}

/**
 * The composition root: point registry and bus, rules and the alarm manager, then the services of
 * gateway/services/registry.ts in dependency order, then the adapters. Stopped in reverse, so the
 * offline status is the last thing MQTT subscribers see.
 */
export class Gateway {
  readonly bus = new ReadingBus();
  readonly metrics = new Metrics();
  readonly points: PointRegistry;
  readonly alarms: AlarmManager;
  private readonly adapters: Adapter[] = [];
  private readonly subs: Subscription[] = [];
  private readonly services: RunningService[] = [];
  private readonly runner: RuleRunner;
  private readonly scheduler: SchedulerLike;
  /** The data directory (lock, database, backups); none when a journal is given (tests, benchmarks). */
  readonly store: GatewayStore | undefined;
  /** A queue connection opened here when there is no store (a given journal). */
  private queueDbConn: Db | undefined;
  private readonly registry: readonly ServiceDefinition[];
  readonly dataDir: string;
  private current: GatewayConfig;

  constructor(private readonly o: GatewayOptions) {
    const cfg = o.config;
    this.current = cfg;
    this.registry = o.services ?? SERVICES;
    this.points = new PointRegistry(pointDefinitions(cfg));
    this.scheduler = o.scheduler ?? asyncScheduler;
    this.dataDir = o.dataDir ?? cfg.storage.dataDir;
    let journal = o.journal;
    if (!journal) {
      const { backup, holdEvents } = cfg.storage;
      this.store = new GatewayStore({
        dataDir: this.dataDir,
        log: o.log,
        holdEvents,
        backup: { intervalMs: backup.interval, keep: backup.keep },
        queues: Boolean(cfg.influx?.enabled || cfg.uplink?.enabled),
        metrics: this.metrics,
      });
      journal = this.store.journal;
    }
    const ruleSet = this.compile(cfg);
    this.alarms = new AlarmManager({
      definitions: ruleSet.definitions,
      pointInfo: (id) => {
        const p = this.points.get(id);
        if (p) return { name: p.name, unit: p.unit, equipment: p.equipment, area: p.area };
        return id === 'gateway' ? { name: '网关', unit: '', area: 'gateway' } : { name: id, unit: '', area: 'gateway' };
      },
      journal,
      scheduler: this.scheduler,
      maxShelveMs: cfg.alarms.maxShelve,
      flood: { threshold: cfg.alarms.floodThreshold, windowMs: cfg.alarms.floodWindow, firstOutQuietMs: cfg.alarms.firstOutQuiet },
    });
    this.store?.reportRestore();
    this.runner = new RuleRunner(this.alarms, o.log.child('rules'));
    this.runner.apply(ruleSet);
  }

  private compile(cfg: GatewayConfig): RuleSet {
    const set = buildRuleSet({ config: cfg, points: this.points, point$: (id) => this.bus.point$(id), scheduler: this.scheduler });
    // The services' own diagnostics (link down, queue thinning, history writes failing) are alarms too.
    const serviceRules: CompiledRule[] = [];
    for (const { def, service } of this.services) {
      if (!service.alarmDefinitions || !service.diagnostics$) continue;
      serviceRules.push({ id: `service:${def.name}`, fingerprint: `service:${def.name}`, definitions: service.alarmDefinitions(), conditions$: service.diagnostics$ });
    }
    if (this.store) serviceRules.push({ id: 'storage', fingerprint: 'storage', definitions: this.store.health.alarmDefinitions(), conditions$: this.store.health.diagnostics$ });
    set.rules.push(...serviceRules);
    set.definitions.push(...serviceRules.flatMap((r) => r.definitions));
    return set;
  }

  get config(): GatewayConfig {
    return this.current;
  }

  /** A running service by name (tests, the CLI). */
  service<T extends Service>(name: string): T | undefined {
    return this.services.find((s) => s.def.name === name)?.service as T | undefined;
  }

  /** The HTTP server's address once it listens, e.g. http://127.0.0.1:8080. */
  get httpAddress(): string | undefined {
    return this.service<HttpService>('http')?.address || undefined;
  }

  /** The embedded broker's port, or 0. */
  get mqttPort(): number {
    return this.service<BrokerService>('mqtt-broker')?.broker.port ?? 0;
  }

  /**
   * Applies an edited config without a restart: rules, limits, suppression and alarm settings. Alarms
   * of unchanged rules keep their state. Device, point or connection changes are refused (the running
   * config stays) because they need a restart.
   */
  reload(next: GatewayConfig): { ok: true; started: number; kept: number; stopped: number } | { ok: false; error: string } {
    const problem = reloadProblem(this.current, next, this.registry);
    if (problem) return { ok: false, error: problem };
    // Limits live on points: take the new point definitions (same ids, same addresses). What devices
    // reported (OPC UA units) is kept by the registry.
    this.points.replace(pointDefinitions(next));
    const changes = this.runner.apply(this.compile(next));
    this.current = next;
    for (const { service } of this.services) service.reload?.(next);
    this.o.log.info(`config reloaded: ${changes.started} rules started, ${changes.kept} kept, ${changes.stopped} stopped`);
    return { ok: true, ...changes };
  }

  /** Whether every enabled service started and is healthy; the HTTP service's /readyz. */
  readiness(): Readiness {
    const services = this.services.map(({ def, service, started }) => {
      const h = started ? (service.health?.() ?? { ok: true }) : { ok: false, detail: 'not started' };
      return { name: def.name, started, ok: h.ok, ...(h.detail ? { detail: h.detail } : {}) };
    });
    return { ready: services.every((s) => s.started && s.ok), services };
  }

  private context(): ServiceContext {
    const cfg = this.current;
    const openQueueDb = (): Db => {
      if (this.store?.queueDb) return this.store.queueDb;
      this.queueDbConn ??= openDatabase(join(this.dataDir, 'gateway.db'), { autoCheckpoint: !this.store });
      return this.queueDbConn;
    };
    return {
      config: cfg,
      gatewayId: cfg.gateway.id,
      dataDir: this.dataDir,
      readings$: this.bus.readings$,
      historicalReadings$: this.bus.historical$,
      alarmEvents$: this.alarms.events$,
      bus: this.bus,
      points: this.points,
      alarms: this.alarms,
      scheduler: this.scheduler,
      now: () => this.scheduler.now(),
      log: this.o.log,
      metrics: this.metrics,
      db: this.store?.db,
      queueDb: openQueueDb,
      write: this.o.write ?? ((l) => process.stdout.write(l + '\n')),
      overrides: { mqttPort: this.o.mqttPort, httpPort: this.o.httpPort },
      http: new HttpRoutes(),
      service: <T extends Service>(name: string) => this.service<T>(name),
    };
  }

  private countCoreMetrics(): void {
    const m = this.metrics;
    m.describe('bus_readings', 'Readings published on the bus');
    m.describe('rule_evaluations', 'Readings delivered to rule inputs (per-point subscribers)');
    m.describe('alarm_events', 'Alarm events (state changes) by severity');
    m.describe('points_configured', 'Points known to the gateway (configured, diagnostic and service points)');
    this.subs.push(this.alarms.events$.subscribe((e) => m.inc('alarm_events', { severity: e.severity })));
    let lastPublished = 0;
    let lastDelivered = 0;
    // Counted as plain numbers on the bus; turned into counters only when someone reads them.
    m.collect(() => {
      m.inc('bus_readings', undefined, this.bus.published - lastPublished);
      m.inc('rule_evaluations', undefined, this.bus.delivered - lastDelivered);
      lastPublished = this.bus.published;
      lastDelivered = this.bus.delivered;
      m.set('points_configured', this.points.size);
      m.set('alarms_annunciated', this.alarms.annunciated().length);
    });
  }

  async start(): Promise<void> {
    const cfg = this.o.config;
    const log = this.o.log;
    const retention = cfg.storage.journalRetention;
    this.store?.start({
      ms: retention,
      onPruned: ({ events, audit }) => {
        if (events + audit > 0) log.info(`报警日志保留期清理 [journal retention]: ${events} events, ${audit} audit entries older than ${Math.round(retention / 86_400_000)} d removed`);
      },
    });
    this.points.attach(this.bus);
    this.countCoreMetrics();

    const ctx = this.context();
    for (const def of startOrder(cfg, this.registry)) {
      const mod = await def.load();
      const service = mod.createService(ctx);
      const running: RunningService = { def, service, started: false };
      this.services.push(running);
      if (def.name === 'http') (service as HttpService).readiness = () => this.readiness();
      try {
        await service.start();
      } catch (err) {
        throw new Error(`${def.name}: ${(err as Error).message}`, { cause: err });
      }
      running.started = true;
    }
    // The services' own alarms join the rule set (their states restored from the journal).
    this.runner.apply(this.compile(this.current));
    this.alarms.forgetUnclaimed();
    const http = this.httpAddress;
    if (http) log.info(`HTTP: ${http} (/healthz, /readyz, /metrics)`);

    // The MQTT ingest adapter subscribes to the gateway's own broker with its internal credential.
    const broker = this.service<BrokerService>('mqtt-broker');
    const localMqtt = broker
      ? { url: broker.url, ...broker.broker.internalUser, gatewayId: cfg.gateway.id }
      : { url: cfg.mqtt.url ?? '', username: cfg.mqtt.username, password: cfg.mqtt.password, gatewayId: cfg.gateway.id };
    for (const device of cfg.devices) {
      if (!device.enabled) continue;
      const def = findAdapter(device.type);
      if (!def) throw new Error(`no adapter for device type ${device.type}`);
      const actx: AdapterContext = {
        publish: (r) => this.bus.publish(r),
        publisherOf: (id) => this.bus.channel(id),
        publishHistorical: (r) => this.bus.publishHistorical(r),
        log: log.child(`device:${device.id}`),
        metrics: this.metrics,
        now: () => Date.now(),
        dataDir: this.dataDir,
        localMqtt,
        describePoint: (id, info) => {
          if (this.points.report(id, info)) log.info(`point ${id}: unit "${untrustedText(info.unit ?? '', 40)}" from the device (not set in the config)`);
        },
      };
      const mod = await def.load();
      const adapter = mod.createAdapter(device, actx);
      this.adapters.push(adapter);
      await adapter.start();
    }
    log.info(`gateway ${cfg.gateway.id} started: ${cfg.devices.length} devices, ${this.points.size} points, ${this.alarms.list().length} alarms`);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.adapters.map((a) => a.stop()));
    this.adapters.length = 0;
    // Reverse start order: the HTTP server first, the broker last (after the offline status).
    for (const { def, service, started } of [...this.services].reverse()) {
      if (!started) continue;
      try {
        await service.stop();
      } catch (err) {
        this.o.log.warn(`stopping ${def.name}: ${(err as Error).message}`);
      }
    }
    this.services.length = 0;
    this.runner.stop();
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    this.points.detach();
    this.alarms.close();
    this.queueDbConn?.close();
    await this.store?.stop();
    this.o.log.info('gateway stopped');
  }
}
