import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CONSOLE_HEADERS } from '../console/service.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { Observable, Subscription } from 'rxjs';
import type { AlarmDefinition, ConditionUpdate } from '../../core/condition.js';
import { every } from '../../core/timers.js';
import type { PlatformWarning } from '../../core/platform-warning.js';
import { untrusted } from '../../core/untrusted-text.js';
import { sendMqttWithoutDelay } from '../../core/mqtt-socket.js';
import { RateLimitedLog } from '../../core/rate-limited-log.js';
import type { CentreSummary } from '../../uplink/summary.js';
import { openDatabase, type Db } from '../../store/database.js';
import { Checkpointer } from '../../store/checkpointer.js';
import { HealthPublisher } from '../health-point.js';
import { CENTRE_BROKER_POINT } from '../health-points.js';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import { migrateCentre } from './centre-db.js';
import { evaluateCentreRules } from './centre-rules.js';
import type { CentreSection } from './config.js';
import { CentreFigures } from './figures.js';
import { CentreIntake } from './intake.js';
import { CentreStorageAlarm } from './storage-alarm.js';
import { FeedbackRecorder } from './feedback-recorder.js';
import { CentreLiveFeed } from './live-feed.js';
import { SseHub } from '../api/sse.js';
import type { SseMessage } from '../api/sse.js';
import { EnterpriseRegister } from './register.js';
import { WarningBook } from './warnings.js';
import { buildSummary } from './summary.js';
import { TierView } from './tier-figures.js';
import type { UplinkService } from '../../uplink/service.js';

/**
 * The monitoring-centre role: subscribes to the enterprises' uplink envelopes on a broker, keeps the
 * register, live status and figures in <dataDir>/centre.db, evaluates the centre rules and publishes
 * warnings (QoS 1) down to the enterprises, tracking their feedback.
 */
const WEB = fileURLToPath(new URL('./web/', import.meta.url));

export class CentreService implements Service {
  readonly name = 'centre';
  readonly db: Db;
  readonly register: EnterpriseRegister;
  readonly intake: CentreIntake;
  readonly warnings: WarningBook;
  readonly figures: CentreFigures;
  /** The figures with the centres below added (a city's, a province's); a county's are its own. */
  readonly tier: TierView;
  /** The console's live stream (GET /api/v1/centre/events): enterprises' alarm and online changes. */
  readonly live: CentreLiveFeed;
  readonly liveHub: SseHub<SseMessage>;
  private client: MqttClient | undefined;
  private connected = false;
  private readonly health$: HealthPublisher;
  private timers: Subscription[] = [];
  private subs: Subscription[] = [];
  /** enterprise → point → live activation times, for the repeated-alarm rule. */
  private readonly activations = new Map<string, Map<string, number[]>>();
  private publishing = false;
  private readonly limited: RateLimitedLog;
  private readonly checkpointer: Checkpointer;
  private readonly storage: CentreStorageAlarm;
  private readonly feedback: FeedbackRecorder;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly cfg: CentreSection,
  ) {
    // As the alarm journal: synchronous=NORMAL (a commit survives kill -9, not a power cut) and WAL
    // checkpoints in a worker. With an fsync per commit and checkpoints inside the per-second flush, the
    // flush held the event loop up to a second on a busy disk and 2,000 gateways' envelopes queued behind it.
    const file = join(ctx.dataDir, 'centre.db');
    this.db = openDatabase(file, { synchronous: 'NORMAL', autoCheckpoint: false });
    this.checkpointer = new Checkpointer(file, 1000, (m) => ctx.log.warn(`centre.db WAL checkpoint: ${m}`));
    migrateCentre(this.db);
    this.register = new EnterpriseRegister(this.db);
    this.storage = new CentreStorageAlarm({ dataDir: ctx.dataDir, log: ctx.log, metrics: ctx.metrics, now: () => ctx.now() });
    this.intake = new CentreIntake({
      db: this.db,
      register: this.register,
      logger: ctx.log,
      metrics: ctx.metrics,
      offlineAfter: cfg.offlineAfter,
      dedupFor: cfg.dedupFor,
      now: () => ctx.now(),
      hold: { samples: cfg.holdSamples, alarmEvents: cfg.holdAlarmEvents },
      onStorage: this.storage.listener,
    });
    this.warnings = new WarningBook(this.db);
    this.feedback = new FeedbackRecorder({ warnings: this.warnings, log: ctx.log, metrics: ctx.metrics });
    this.figures = new CentreFigures(this.db, this.register, this.intake, cfg);
    this.tier = new TierView({ register: this.register, intake: this.intake, figures: this.figures, warnings: this.warnings, staleAfter: cfg.summary.staleAfter });
    this.live = new CentreLiveFeed(this.intake, this.register, ctx.now());
    this.liveHub = new SseHub(this.live);
    this.health$ = new HealthPublisher(ctx, CENTRE_BROKER_POINT.id);
    this.limited = new RateLimitedLog(ctx.log);
  }

  async start(): Promise<void> {
    const b = this.cfg.broker;
    const topic = b.shareGroup ? `$share/${b.shareGroup}/${b.topic}` : b.topic;
    this.live.start();
    this.liveHub.start();
    this.checkpointer.start();
    this.subs.push(
      this.intake.events$.subscribe((e) => {
        if (e.kind === 'alarm' && e.activation) this.noteActivation(e.alarm.enterpriseCode, e.alarm.pointCode, e.alarm.startedAt);
        // A warning held back because its enterprise had no known gateway goes down once one speaks.
        if (e.kind === 'online' && e.online) this.kickPublish();
        if (e.kind === 'feedback') this.feedback.record(e);
      }),
    );
    const client = mqtt.connect(b.url, {
      clientId: b.clientId ?? `centre-${this.ctx.gatewayId}`,
      ...(b.username !== undefined ? { username: b.username } : {}),
      ...(b.password !== undefined ? { password: b.password } : {}),
      ...(b.caFile !== undefined ? { ca: readFileSync(b.caFile) } : {}),
      // A persistent session: QoS 1 envelopes sent while the centre restarts wait at the broker.
      clean: false,
      // MQTT 5 with a large Receive Maximum: the broker may have many QoS 1 envelopes in flight to the
      // centre at once (MQTT 3.1.1 brokers cap it, mosquitto at 20, which limits one subscriber of
      // thousands of gateways to what 20 round trips through the event loop carry).
      protocolVersion: 5,
      properties: { receiveMaximum: 1000, sessionExpiryInterval: 86_400 },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.client = client;
    sendMqttWithoutDelay(client);
    client.on('connect', () => {
      this.connected = true;
      this.ctx.log.info('centre subscribed to enterprise uplinks', { url: b.url, topic });
      client.subscribe(topic, { qos: 1 }, (err) => {
        if (err) this.ctx.log.error('监测中心订阅失败 [subscribe failed]', { topic, error: err.message });
      });
      this.kickPublish();
    });
    client.on('close', () => {
      if (this.connected) this.ctx.log.warn('监测中心与 broker 连接中断，自动重连 [centre broker connection lost]', { url: b.url });
      this.connected = false;
    });
    client.on('error', (err) => this.ctx.log.debug('centre broker error', { error: err.message }));
    client.on('message', (t, payload) => {
      try {
        this.intake.receive(t, payload, this.ctx.now());
      } catch (err) {
        // Database trouble, not bad input (that is rejected inside): logged, the next message goes on.
        this.ctx.metrics.inc('centre_intake_errors_total');
        this.ctx.log.error('监测中心处理上报数据失败 [intake failed]', { topic: untrusted(t), error: (err as Error).message });
      }
    });
    const sch = this.ctx.scheduler;
    this.timers.push(every(sch, 1000, () => this.intake.checkOffline(this.ctx.now())));
    this.timers.push(
      every(sch, 1000, () => {
        this.intake.flushSafely();
        this.feedback.retry();
      }),
    );
    this.timers.push(every(sch, this.cfg.rules.evaluateEvery, () => this.evaluateSafely()));
    if (this.cfg.summary.enabled && this.ctx.config.uplink !== undefined) {
      this.timers.push(every(sch, this.cfg.summary.period, () => this.sendSummary()));
    }
    this.health$.start(() => this.connected);
    if (this.ctx.config.http?.enabled) await this.serveConsole();
  }

  /** The centre console at /centre/ (web/), bundled into memory at start like the operator console. */
  private async serveConsole(): Promise<void> {
    const js = await build({ entryPoints: [WEB + 'main.ts'], bundle: true, format: 'esm', target: 'es2022', minify: true, write: false, sourcemap: false, logLevel: 'silent' });
    const assets = new Map<string, { type: string; body: Buffer }>([
      ['/centre/', { type: 'text/html; charset=utf-8', body: readFileSync(WEB + 'index.html') }],
      ['/centre/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(js.outputFiles[0]!.contents) }],
      ['/centre/app.css', { type: 'text/css; charset=utf-8', body: readFileSync(WEB + 'app.css') }],
    ]);
    this.ctx.http.add('centre-console', (app) => {
      for (const [path, asset] of assets) app.get(path, (_req, reply) => reply.headers(CONSOLE_HEADERS).type(asset.type).send(asset.body));
      app.get('/centre', (_req, reply) => reply.redirect('/centre/'));
      // Live streams hold their connections open: end them before the server waits for requests to finish.
      app.addHook('preClose', (done) => {
        this.liveHub.closeClients();
        done();
      });
    });
  }

  private noteActivation(ent: string, pointCode: string, at: number): void {
    let points = this.activations.get(ent);
    if (!points) this.activations.set(ent, (points = new Map<string, number[]>()));
    const times = points.get(pointCode) ?? [];
    times.push(at);
    const horizon = this.ctx.now() - this.cfg.rules.repeatedWindow;
    while (times.length > 0 && times[0]! < horizon) times.shift();
    points.set(pointCode, times);
  }

  /** evaluate() for the timer: a warning the disk refuses to open is opened at the next evaluation. */
  private evaluateSafely(): void {
    try {
      this.evaluate();
    } catch (err) {
      this.ctx.metrics.inc('centre_evaluate_errors_total');
      this.limited.error('evaluate', '监测中心规则评估失败，下次评估重试 [centre rules evaluation failed]', { error: (err as Error).message });
    }
  }

  /** Runs the centre rules and opens (and publishes) a warning for each new situation. */
  evaluate(): PlatformWarning[] {
    const now = this.ctx.now();
    const candidates = evaluateCentreRules(this.cfg.rules, {
      now,
      enterprises: this.register.list(),
      gateways: this.intake.gateways.values(),
      alarms: this.intake.alarms,
      activations: this.activations,
      pointName: (ent, code) => this.intake.pointInfo.get(ent)?.get(code)?.name,
    });
    const opened: PlatformWarning[] = [];
    for (const c of candidates) {
      const w = this.warnings.open(c, this.cfg.issuer, now, this.cfg.rules.feedbackWithin);
      if (!w) continue;
      opened.push(w);
      this.ctx.metrics.inc('centre_warnings_total', { kind: w.kind });
      this.ctx.log.info('监测中心下发预警', { warningId: w.warningId, enterpriseCode: w.enterpriseCode, kind: w.kind, level: w.level });
    }
    if (opened.length > 0) this.kickPublish();
    return opened;
  }

  /**
   * Queues this centre's summary on its uplink targets to the tier above (centre.summary). Returns
   * it, or undefined when there is no uplink; a failure is logged and the next period tries again.
   */
  sendSummary(): CentreSummary | undefined {
    const uplink = this.ctx.service<UplinkService>('uplink');
    if (!uplink) return undefined;
    try {
      const now = this.ctx.now();
      const summary = buildSummary(this.tier.figures(now), this.figures.statuses(now), this.cfg.issuer);
      const sent = uplink.sendSummary(summary, this.cfg.summary.targets);
      if (sent.length === 0) this.limited.warn('summary_no_target', '监测中心汇总无可用上报目标 [no uplink target for the summary]', { targets: this.cfg.summary.targets });
      else this.ctx.metrics.inc('centre_summaries_sent_total');
      return summary;
    } catch (err) {
      this.ctx.metrics.inc('centre_summary_errors_total');
      this.ctx.log.error('监测中心汇总上报失败 [summary failed]', { error: (err as Error).message });
      return undefined;
    }
  }

  /** 发布单位 of this centre's warnings and reports. */
  get issuer(): string {
    return this.cfg.issuer;
  }

  /** Opens a warning written by an officer (kind manual) and publishes it. */
  issueManual(input: { enterpriseCode: string; level: 1 | 2 | 3 | 4; title: string; content: string }, user: string): PlatformWarning | undefined {
    const now = this.ctx.now();
    const w = this.warnings.open({ dedupKey: `manual:${user}:${now}:${Math.random()}`, enterpriseCode: input.enterpriseCode, gatewayCode: undefined, kind: 'manual', level: input.level, title: input.title, content: input.content }, this.cfg.issuer, now, this.cfg.rules.feedbackWithin);
    if (w) this.kickPublish();
    return w;
  }

  /** Starts publishing what is pending, without waiting (publishPending handles its own errors). */
  private kickPublish(): void {
    this.publishPending().catch((err: unknown) => this.ctx.log.error('预警下发异常 [warning publish crashed]', { error: String(err) }));
  }

  /** Publishes every warning not yet acknowledged by the broker (QoS 1 PUBACK), in order. */
  async publishPending(): Promise<void> {
    if (this.publishing || !this.client || !this.connected) return;
    this.publishing = true;
    try {
      for (const w of this.warnings.unpublished()) {
        const gateway = w.gatewayCode ?? this.register.get(w.enterpriseCode)?.gateways[0];
        if (gateway === undefined) continue; // no gateway known yet: waits until the enterprise connects
        const topic = this.cfg.warningTopic.replace('{enterpriseCode}', w.enterpriseCode).replace('{gatewayCode}', gateway);
        await this.client.publishAsync(topic, JSON.stringify(w), { qos: 1, retain: false });
        this.warnings.markPublished(w.warningId, this.ctx.now());
        this.ctx.metrics.inc('centre_warnings_published_total');
      }
    } catch (err) {
      this.ctx.log.warn('预警下发失败，连接恢复后重发 [warning publish failed]', { error: (err as Error).message });
    } finally {
      this.publishing = false;
    }
  }

  alarmDefinitions(): AlarmDefinition[] {
    return this.storage.definitions();
  }

  get diagnostics$(): Observable<ConditionUpdate> {
    return this.storage.diagnostics$;
  }

  health(): ServiceHealth {
    return this.connected ? { ok: true } : { ok: false, detail: '监测中心未连接企业上报 broker (centre broker not connected)' };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
    this.timers = [];
    this.subs = [];
    this.health$.stop();
    this.liveHub.stop();
    this.live.stop();
    await this.client?.endAsync();
    this.client = undefined;
    this.connected = false;
    // A last try even while the disk refuses (its retry time not yet come).
    this.intake.flush(true);
    const held = this.intake.held;
    if (this.intake.storageFailing) this.ctx.log.error('监测中心数据库仍无法写入，暂存数据随进程丢失 [centre.db still refuses writes: held rows lost at shutdown]', { ...held, feedback: this.feedback.heldCount });
    this.intake.complete();
    await this.checkpointer.stop();
    this.db.close();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new CentreService(ctx, ctx.config.centre!);
}
