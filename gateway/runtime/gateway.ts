import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { ReadingBus } from '../core/bus.js';
import { Metrics } from '../core/metrics.js';
import type { Logger } from '../core/logger.js';
import { pointDefinitions, type GatewayConfig, type PointDefinition } from '../config/schema.js';
import { findAdapter } from '../../adapters/registry.js';
import type { Adapter, AdapterContext } from '../../adapters/types.js';
import { buildRuleSet } from '../../rules/engine.js';
import { AlarmManager, type AlarmJournal } from '../alarms/alarm-manager.js';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { MqttPublisher } from '../sinks/mqtt-publisher.js';
import { ConsoleReporter } from './console-reporter.js';

export interface GatewayOptions {
  config: GatewayConfig;
  log: Logger;
  /** Overrides mqtt.port (embedded broker) — the CLI's --mqtt-port. */
  mqttPort?: number | undefined;
  /** Where alarm lines and the summary go; default stdout. */
  write?: (line: string) => void;
  journal?: AlarmJournal;
  scheduler?: SchedulerLike;
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
  private readonly ruleSet;
  mqttPort = 0;

  constructor(private readonly o: GatewayOptions) {
    const cfg = o.config;
    this.points = pointDefinitions(cfg);
    const scheduler = o.scheduler ?? asyncScheduler;
    this.ruleSet = buildRuleSet({ config: cfg, points: this.points, point$: (id) => this.bus.point$(id), scheduler });
    this.alarms = new AlarmManager({
      definitions: this.ruleSet.definitions,
      pointInfo: (id) => {
        const p = this.points.get(id);
        return p ? { name: p.name, unit: p.unit, equipment: p.equipment, area: p.area } : { name: id, unit: '', area: 'gateway' };
      },
      ...(o.journal ? { journal: o.journal } : {}),
      scheduler,
    });
  }

  get config(): GatewayConfig {
    return this.o.config;
  }

  async start(): Promise<void> {
    const cfg = this.o.config;
    const log = this.o.log;
    // Rules and alarms first, so not one reading is evaluated late.
    this.subs.push(this.ruleSet.conditions$.subscribe((u) => this.alarms.apply(u)));
    this.subs.push(this.bus.readings$.subscribe(() => this.metrics.inc('readings')));

    let url = cfg.mqtt.url;
    let credentials: { username?: string; password?: string } = { username: cfg.mqtt.username, password: cfg.mqtt.password };
    if (cfg.mqtt.broker === 'embedded') {
      this.broker = new EmbeddedBroker({
        host: cfg.mqtt.host,
        port: this.o.mqttPort ?? cfg.mqtt.port,
        gatewayId: cfg.gateway.id,
        allowAnonymous: cfg.mqtt.allowAnonymous,
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
    await this.publisher.start(this.bus.readings$, this.alarms.events$);

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
      };
      const mod = await def.load();
      const adapter = mod.createAdapter(device, ctx);
      this.adapters.push(adapter);
      await adapter.start();
    }
    log.info(`gateway ${cfg.gateway.id} started: ${cfg.devices.length} devices, ${this.points.size} points, ${this.ruleSet.definitions.length} alarms`);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.adapters.map((a) => a.stop()));
    this.adapters.length = 0;
    this.reporter?.stop();
    await this.publisher?.stop();
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    this.alarms.close();
    await this.broker?.stop();
    this.o.log.info('gateway stopped');
  }
}
