import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { findAdapter } from '../../adapters/registry.js';
import type { Adapter, AdapterContext } from '../../adapters/types.js';
import { buildRuleSet, type CompiledRule, type RuleSet } from '../../rules/engine.js';
import { AlarmManager, type AlarmJournal } from '../alarms/alarm-manager.js';
import { SqliteAlarmJournal } from '../alarms/sqlite-journal.js';
import { pointDefinitions, type GatewayConfig, type PointDefinition } from '../config/schema.js';
import { CONTROL_SOCKET } from '../control/protocol.js';
import { ControlServer } from '../control/server.js';
import { ReadingBus } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import { Metrics } from '../core/metrics.js';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { UserStore } from '../auth/user-store.js';
import { InfluxSink } from '../sinks/influx/influx-sink.js';
import { MqttPublisher } from '../sinks/mqtt-publisher.js';
import { Checkpointer } from '../store/checkpointer.js';
import { openDatabase, type Db } from '../store/database.js';
import { UplinkSink } from '../uplink/uplink-sink.js';
import { ConsoleReporter } from './console-reporter.js';
import { RuleRunner } from './rule-runner.js';

export interface GatewayOptions {
  config: GatewayConfig;
  log: Logger;
  /** Overrides mqtt.port (embedded broker) — the CLI's --mqtt-port. */
  mqttPort?: number | undefined;
  /** Overrides storage.dataDir — the CLI's --data-dir. */
  dataDir?: string | undefined;
  /** Where alarm lines and the summary go; default stdout. */
  write?: (line: string) => void;
  /** Replaces the SQLite journal (tests, benchmarks). */
  journal?: AlarmJournal;
  scheduler?: SchedulerLike;
}

/** Why a reloaded config cannot be applied without a restart, or undefined when it can. */
export function reloadProblem(running: GatewayConfig, next: GatewayConfig): string | undefined {
  const strip = (c: GatewayConfig) => c.devices.map((d) => ({ ...d, points: d.points.map((p) => ({ ...p, limits: undefined })) }));
  if (!isDeepStrictEqual(strip(running), strip(next))) return 'devices or points changed (other than limits): restart the gateway to apply them';
  for (const key of ['gateway', 'mqtt', 'storage', 'influx', 'uplink'] as const) {
    if (!isDeepStrictEqual(running[key], next[key])) return `${key} settings changed: restart the gateway to apply them`;
  }
  return undefined;
}

/**
 * The runtime: adapters → bus → rules → alarm manager → sinks, started in dependency order and
 * stopped in reverse so the offline status is the last thing subscribers see.
 */
export class Gateway {
  readonly bus = new ReadingBus();
  readonly metrics = new Metrics();
  readonly points: Map<string, PointDefinition>;
  readonly alarms: AlarmManager;
  private readonly adapters: Adapter[] = [];
  private readonly subs: Subscription[] = [];
  private broker: EmbeddedBroker | undefined;
  private publisher: MqttPublisher | undefined;
  private reporter: ConsoleReporter | undefined;
  private readonly runner: RuleRunner;
  private readonly scheduler: SchedulerLike;
  private readonly db: Db | undefined;
  /** Second connection for the sinks' store-and-forward queues, with fsync per commit (see database.ts). */
  private readonly queueDb: Db | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly influx: InfluxSink | undefined;
  private readonly uplink: UplinkSink | undefined;
  private control: ControlServer | undefined;
  /** Compiled in the constructor (the alarm manager needs the definitions), subscribed in start(). */
  private pendingRuleSet: RuleSet | undefined;
  readonly dataDir: string;
  private current: GatewayConfig;
  mqttPort = 0;

  constructor(private readonly o: GatewayOptions) {
    const cfg = o.config;
    this.current = cfg;
    this.points = pointDefinitions(cfg);
    this.scheduler = o.scheduler ?? asyncScheduler;
    this.dataDir = o.dataDir ?? cfg.storage.dataDir;
    let journal = o.journal;
    if (!journal) {
      // The journal's hot path takes synchronous=NORMAL: kill -9 safe, ~30 µs per event (see database.ts).
      this.db = openDatabase(join(this.dataDir, 'gateway.db'), { synchronous: 'NORMAL', autoCheckpoint: false });
      this.checkpointer = new Checkpointer(join(this.dataDir, 'gateway.db'), 1000, (m) => o.log.warn(`WAL checkpoint: ${m}`));
      const sqlite = new SqliteAlarmJournal(this.db);
      sqlite.startRetention(cfg.storage.journalRetention, ({ events, audit }) => {
        if (events + audit > 0) o.log.info(`报警日志保留期清理 [journal retention]: ${events} events, ${audit} audit entries older than ${Math.round(cfg.storage.journalRetention / 86_400_000)} d removed`);
      });
      journal = sqlite;
    }
    if (cfg.influx?.enabled || cfg.uplink?.enabled) {
      this.queueDb = openDatabase(join(this.dataDir, 'gateway.db'), { autoCheckpoint: !this.checkpointer });
      const logger = o.log;
      if (cfg.influx?.enabled) this.influx = new InfluxSink({ config: cfg.influx, gatewayId: cfg.gateway.id, logger, metrics: this.metrics, db: this.queueDb, points: this.points });
      if (cfg.uplink?.enabled) {
        // Looked up per message: describePoint below may fill in a unit the device reports.
        const unitOf = (id: string) => this.points.get(id)?.unit || undefined;
        this.uplink = new UplinkSink({ config: cfg.uplink, gateway: { id: cfg.gateway.id, creditCode: cfg.gateway.enterprise.creditCode }, logger, metrics: this.metrics, db: this.queueDb, unitOf });
      }
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
    this.runner = new RuleRunner(this.alarms, o.log.child('rules'));
    this.pendingRuleSet = ruleSet;
  }

  private compile(cfg: GatewayConfig): RuleSet {
    const set = buildRuleSet({ config: cfg, points: this.points, point$: (id) => this.bus.point$(id), scheduler: this.scheduler });
    // The sinks' own diagnostics (link down, queue thinning, history writes failing) are alarms too.
    const sinkRules: CompiledRule[] = [];
    for (const [id, sink] of [['influx', this.influx], ['uplink', this.uplink]] as const) {
      if (sink) sinkRules.push({ id: `sink:${id}`, fingerprint: `sink:${id}`, definitions: sink.alarmDefinitions(), conditions$: sink.diagnostics$ });
    }
    set.rules.push(...sinkRules);
    set.definitions.push(...sinkRules.flatMap((r) => r.definitions));
    return set;
  }

  get config(): GatewayConfig {
    return this.current;
  }

  /**
   * Applies an edited config without a restart: rules, limits, suppression and alarm settings. Alarms
   * of unchanged rules keep their state. Device, point or connection changes are refused (the running
   * config stays) because they need a restart.
   */
  reload(next: GatewayConfig): { ok: true; started: number; kept: number; stopped: number } | { ok: false; error: string } {
    const problem = reloadProblem(this.current, next);
    if (problem) return { ok: false, error: problem };
    // Limits live on points: take the new point definitions (same ids, same addresses).
    for (const [id, p] of pointDefinitions(next)) this.points.set(id, p);
    const changes = this.runner.apply(this.compile(next));
    this.current = next;
    this.o.log.info(`config reloaded: ${changes.started} rules started, ${changes.kept} kept, ${changes.stopped} stopped`);
    return { ok: true, ...changes };
  }

  async start(): Promise<void> {
    const cfg = this.o.config;
    const log = this.o.log;
    this.checkpointer?.start();
    // Rules and alarms first, so not one reading is evaluated late.
    if (this.pendingRuleSet) this.runner.apply(this.pendingRuleSet);
    this.pendingRuleSet = undefined;
    this.subs.push(this.bus.readings$.subscribe(() => this.metrics.inc('readings')));

    let url = cfg.mqtt.url;
    let credentials: { username?: string; password?: string } = { username: cfg.mqtt.username, password: cfg.mqtt.password };
    if (cfg.mqtt.broker === 'embedded') {
      this.broker = new EmbeddedBroker({
        host: cfg.mqtt.host,
        port: this.o.mqttPort ?? cfg.mqtt.port,
        gatewayId: cfg.gateway.id,
        allowAnonymous: cfg.mqtt.allowAnonymous,
        users: this.db ? new UserStore(this.db) : undefined,
        ...{ passwordFile: cfg.mqtt.passwordFile, aclFile: cfg.mqtt.aclFile, tls: cfg.mqtt.tls, limits: cfg.mqtt.limits },
        log: log.child('mqtt-broker'),
        metrics: this.metrics,
      });
      this.mqttPort = await this.broker.start();
      url = `mqtt://${cfg.mqtt.host}:${this.mqttPort}`;
      credentials = this.broker.internalUser;
    }
    this.publisher = new MqttPublisher({
      url: url!,
      gatewayId: cfg.gateway.id,
      ...credentials,
      readingsMaxIntervalMs: cfg.mqtt.readingsMaxInterval,
      log: log.child('mqtt'),
      metrics: this.metrics,
    });
    await this.publisher.start(this.bus.readings$, this.alarms.events$, this.alarms.latestEvents());

    this.influx?.start(this.bus.readings$, this.alarms.events$);
    this.uplink?.start(this.bus.readings$, this.alarms.events$);

    mkdirSync(this.dataDir, { recursive: true });
    this.control = new ControlServer(join(this.dataDir, CONTROL_SOCKET), this.alarms, log.child('control'), this.metrics);
    await this.control.start();

    this.reporter = new ConsoleReporter({
      write: this.o.write ?? ((l) => process.stdout.write(l + '\n')),
      summaryIntervalMs: cfg.gateway.summaryInterval,
      pointCount: this.points.size,
      annunciated: () => this.alarms.annunciated(),
      colour: Boolean(process.stdout.isTTY),
    });
    this.reporter.start(this.bus.readings$, this.alarms.events$);

    for (const device of cfg.devices) {
      if (!device.enabled) continue;
      const def = findAdapter(device.type);
      if (!def) throw new Error(`no adapter for device type ${device.type}`);
      const ctx: AdapterContext = {
        publish: (r) => this.bus.publish(r),
        log: log.child(`device:${device.id}`),
        metrics: this.metrics,
        now: () => Date.now(),
        dataDir: this.dataDir,
        localMqtt: { url: url!, ...credentials, gatewayId: cfg.gateway.id },
        describePoint: (id, info) => {
          const p = this.points.get(id);
          if (!p || p.unit || !info.unit) return;
          p.unit = info.unit;
          log.info(`point ${id}: unit "${info.unit}" from the device (not set in the config)`);
        },
      };
      const mod = await def.load();
      const adapter = mod.createAdapter(device, ctx);
      this.adapters.push(adapter);
      await adapter.start();
    }
    log.info(`gateway ${cfg.gateway.id} started: ${cfg.devices.length} devices, ${this.points.size} points, ${this.alarms.list().length} alarms`);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.adapters.map((a) => a.stop()));
    this.adapters.length = 0;
    await this.control?.stop();
    this.reporter?.stop();
    await this.uplink?.stop();
    await this.influx?.stop();
    await this.publisher?.stop();
    this.runner.stop();
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    this.alarms.close();
    await this.broker?.stop();
    this.db?.close();
    this.queueDb?.close();
    await this.checkpointer?.stop();
    this.o.log.info('gateway stopped');
  }
}
