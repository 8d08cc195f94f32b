import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { envelopeBodyProblem, envelopeSchema, type Envelope } from '../../gateway/uplink/envelope.js';
import type { PlatformWarning } from '../../gateway/core/platform-warning.js';
import { WarningDesk } from './warning-desk.js';
import { sm4CbcDecrypt, sm4CbcEncrypt, sm4KeyBytes } from '../../gateway/uplink/sm4.js';
import { codedEnvelopeSchema, type CodedItem } from '../../gateway/uplink/alarm-codes.js';
import { Registrations } from './registrations.js';
import type { EndpointHost } from './endpoint-host.js';
import { SteelEndpoint, type SteelEndpointOptions } from './steel-endpoint.js';
import { TcpEndpoint, type TcpEndpointOptions } from './tcp-endpoint.js';

/**
 * A provincial early-warning platform receiver for tests and demos. It accepts the MEM HTTP profile
 * (appsecret header, SM4-CBC hex payload) and the MQTT profile (subscribes on a broker), validates
 * every envelope, records what arrived, and can be told to fail.
 */
export { FAILURE_MODES, type FailureMode, type PlatformProfile };
import { FAILURE_MODES, type FailureMode, type PlatformProfile } from './endpoint-host.js';

export interface PlatformSimulatorOptions {
  /**
   * `warningsPath` / `warningAckPath` (default /api/warnings, /api/warnings/ack): the poll endpoints
   * of the warnings this platform issues, same credentials and SM4 as the data path.
   */
  http?: { port?: number; host?: string; path?: string; warningsPath?: string; warningAckPath?: string; appid: string; appsecret: string; key: string; iv: string };
  /**
   * Subscribes with a persistent session (clean: false, QoS 1) under clientId, so messages the
   * broker acknowledged while the simulator was disconnected are delivered when it reconnects.
   * For an mqtts:// broker: caFile (the broker's CA), certFile / keyFile (a client certificate) as
   * PEM file paths, like the gateway's mqtt profile.
   */
  mqtt?: {
    url: string;
    topic?: string;
    /** Where warnings are published (QoS 1, not retained); default safety/{enterpriseCode}/{gatewayCode}/warning. */
    warningTopic?: string;
    clientId?: string;
    username?: string;
    password?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
  };
  /** The steel platform's token REST (its own HTTP port). */
  steel?: SteelEndpointOptions;
  /** The hazardous-chemicals platforms' @@-framed TCP (its own port). */
  tcp?: TcpEndpointOptions;
  /**
   * Profiles whose realtime data is refused for points never registered in base data. Default:
   * steel-rest and framed-tcp (platforms that keep a register of what each enterprise monitors).
   */
  requireRegistration?: readonly PlatformProfile[];
  /** Codes this platform knows beyond the gateway's lists (equipment types, location types). */
  extraCodes?: { equipmentTypes?: Record<string, string>; locationTypes?: Record<string, string> };
}

export interface Arrival {
  profile: PlatformProfile;
  envelope: Envelope;
  /** Coded profiles: the items as sent, with the platform's alarm codes. */
  coded?: CodedItem[];
  receivedAt: number;
}

export interface Rejection {
  profile: PlatformProfile;
  reason: string;
  receivedAt: number;
}

/** A gateway's acknowledgement of receipt of polled warnings (both HTTP profiles). */
export const warningAckSchema = z.strictObject({ warningIds: z.array(z.string().min(1)).min(1) });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const httpBodySchema = z.strictObject({ appid: z.string(), data: z.string().regex(/^([0-9a-fA-F]{2})+$/, 'data must be hex') });

const DEFAULT_WARNING_TOPIC = 'safety/{enterpriseCode}/{gatewayCode}/warning';

/** A topic template as a pattern: each placeholder one topic level. */
function topicPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[a-zA-Z]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

export class PlatformSimulator {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mqttClient: MqttClient | undefined;
  private mode: FailureMode = 'ok';
  private slowMs = 2000;
  private httpPort = 0;
  /** Every distinct message, first arrival, in arrival order: what the platform stores. */
  readonly arrivals: Arrival[] = [];
  /**
   * Repeats of a dataId already stored (at-least-once delivery: a PUBACK or HTTP answer lost in an
   * outage makes the gateway send again). A real platform drops these on dataId, so does this one.
   */
  readonly duplicates: Arrival[] = [];
  private readonly byDataId = new Map<string, Envelope>();
  readonly rejections: Rejection[] = [];
  /** Valid envelopes refused on purpose by refuseWhen (HTTP profile). */
  readonly refused: Envelope[] = [];
  private refuseFilter: ((e: Envelope) => boolean) | undefined;
  private readonly listeners = new Set<(a: Arrival) => void>();
  /** Base data registered per enterprise and gateway. */
  readonly registrations: Registrations;
  /** Warnings issued, their poll list and feedback, hidden-danger records on file. */
  readonly warnings = new WarningDesk();
  private readonly requireRegistration: ReadonlySet<PlatformProfile>;
  readonly steel: SteelEndpoint | undefined;
  readonly tcp: TcpEndpoint | undefined;

  constructor(private readonly opts: PlatformSimulatorOptions) {
    this.registrations = new Registrations(opts.extraCodes);
    this.requireRegistration = new Set(opts.requireRegistration ?? ['steel-rest', 'framed-tcp']);
    const host: EndpointHost = {
      mode: () => this.mode,
      slowMs: () => this.slowMs,
      record: (profile: PlatformProfile, json: string, dryRun?: boolean) => this.record(profile, json, dryRun),
      rejected: (profile: PlatformProfile, reason: string) => void this.rejections.push({ profile, reason, receivedAt: Date.now() }),
      pendingWarnings: () => this.warnings.pending(),
      warningsReceived: (ids) => this.receiveAck(ids),
    };
    this.steel = opts.steel ? new SteelEndpoint(opts.steel, host) : undefined;
    this.tcp = opts.tcp ? new TcpEndpoint(opts.tcp, host) : undefined;
  }

  async start(): Promise<void> {
    if (this.opts.http) await this.listen(this.opts.http.port ?? 0);
    if (this.opts.mqtt) await this.subscribe(this.opts.mqtt);
    await this.steel?.listen();
    await this.tcp?.listen();
  }

  get port(): number {
    return this.httpPort;
  }

  /** URL the gateway's mem-http-sm4 profile should post to. */
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}${this.opts.http?.path ?? '/api/data'}`;
  }

  /** URLs of the warning poll and receipt endpoints for the gateway's mem-http-sm4 `warnings` setting. */
  get warningsUrl(): string {
    return `http://127.0.0.1:${this.httpPort}${this.opts.http?.warningsPath ?? '/api/warnings'}`;
  }

  get warningAckUrl(): string {
    return `http://127.0.0.1:${this.httpPort}${this.opts.http?.warningAckPath ?? '/api/warnings/ack'}`;
  }

  async setMode(mode: FailureMode, slowMs?: number): Promise<void> {
    if (slowMs !== undefined) this.slowMs = slowMs;
    const wasRefusing = this.mode === 'refuse';
    this.mode = mode;
    if (mode === 'refuse' && !wasRefusing) await Promise.all([this.closeHttp(), this.steel?.close(), this.tcp?.close()]);
    if (mode !== 'refuse' && wasRefusing) {
      if (this.opts.http) await this.listen(this.httpPort);
      await this.steel?.listen();
      await this.tcp?.listen();
    }
  }

  onArrival(listener: (a: Arrival) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How often each dataId arrived, repeats included. */
  dataIdCounts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of [...this.arrivals, ...this.duplicates]) m.set(a.envelope.dataId, (m.get(a.envelope.dataId) ?? 0) + 1);
    return m;
  }

  async stop(): Promise<void> {
    await this.closeHttp();
    await this.steel?.close();
    await this.tcp?.close();
    const c = this.mqttClient;
    this.mqttClient = undefined;
    if (c) await new Promise<void>((r) => c.end(true, {}, () => r()));
  }

  // ---- HTTP ----

  private listen(port: number): Promise<void> {
    const http = this.opts.http!;
    // A request aborted while its body is read rejects handle(): nothing is left to answer.
    const server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, http.host ?? '127.0.0.1', () => {
        const a = server.address();
        this.httpPort = typeof a === 'object' && a ? a.port : port;
        resolve();
      });
    });
  }

  private closeHttp(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    return new Promise((r) => s.close(() => r()));
  }

  private reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private reject(res: ServerResponse, status: number, code: number, reason: string): void {
    this.rejections.push({ profile: 'mem-http-sm4', reason, receivedAt: Date.now() });
    this.reply(res, status, { code, msg: reason });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const http = this.opts.http!;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.mode === 'slow') await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.mode === 'http500') return this.reply(res, 500, { code: 500, msg: '服务器内部错误 (simulated)' });
    const dropAfterRecord = this.mode === 'drop';
    const warningsPath = http.warningsPath ?? '/api/warnings';
    const ackPath = http.warningAckPath ?? '/api/warnings/ack';
    const paths = [http.path ?? '/api/data', warningsPath, ackPath];
    if (req.method !== 'POST' || !paths.includes(req.url ?? '')) return this.reject(res, 404, 404, `no such endpoint ${req.method} ${req.url}`);
    if (req.headers['appsecret'] !== http.appsecret) return this.reject(res, 401, 401, 'appsecret 错误');
    let body: z.infer<typeof httpBodySchema>;
    try {
      body = httpBodySchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (err) {
      return this.reject(res, 400, 400, `请求体格式错误: ${(err as Error).message}`);
    }
    if (body.appid !== http.appid) return this.reject(res, 401, 401, `appid 错误: ${body.appid}`);
    let plain: string;
    try {
      plain = sm4CbcDecrypt(Buffer.from(body.data, 'hex'), sm4KeyBytes(http.key), sm4KeyBytes(http.iv)).toString('utf8');
    } catch (err) {
      return this.reject(res, 200, 4001, `SM4 解密失败: ${(err as Error).message}`);
    }
    if (req.url === warningsPath) return this.reply(res, 200, { code: 0, msg: 'success', data: this.sm4(JSON.stringify(this.warnings.pending())) });
    if (req.url === ackPath) {
      const ack = warningAckSchema.safeParse(safeJson(plain));
      if (!ack.success) return this.reject(res, 200, 4002, `预警签收格式错误: ${ack.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (!this.receiveAck(ack.data.warningIds)) return this.reply(res, 500, { code: 500, msg: '服务器内部错误 (simulated)' });
      return this.reply(res, 200, { code: 0, msg: 'success' });
    }
    const refused = this.refusedEnvelope(plain);
    if (refused) {
      this.refused.push(refused);
      return this.reply(res, 200, { code: 5001, msg: '数据校验不通过 (simulated)' });
    }
    const problem = this.record('mem-http-sm4', plain, this.mode === 'reject');
    if (problem) return this.reject(res, 200, 4002, problem);
    if (dropAfterRecord) return void res.socket?.destroy();
    if (this.mode === 'reject') return this.reply(res, 200, { code: 5000, msg: '平台拒收 (simulated)' });
    this.reply(res, 200, { code: 0, msg: 'success' });
  }

  private receiveAck(ids: readonly string[]): boolean {
    if (this.warnings.failReceipts) {
      this.warnings.failedReceipts++;
      return false;
    }
    this.warnings.acknowledge(ids);
    return true;
  }

  private sm4(plain: string): string {
    const http = this.opts.http!;
    return sm4CbcEncrypt(plain, sm4KeyBytes(http.key), sm4KeyBytes(http.iv)).toString('hex');
  }

  /**
   * Issues a warning to an enterprise: handed out by the poll endpoints (mem-http-sm4, steel-rest)
   * until a gateway acknowledges receipt, and published over MQTT (QoS 1) when the simulator has a
   * broker; the warning then waits for feedback (`warnings.report()`). Resolves when published.
   */
  async issueWarning(warning: PlatformWarning): Promise<PlatformWarning> {
    const w = this.warnings.issue(warning);
    if (this.mqttClient) await this.publishWarning(w.enterpriseCode, w.gatewayCode, JSON.stringify(w));
    return w;
  }

  /**
   * Hands out any payload as a warning (a malformed one, for tests): poll endpoints, and MQTT to the
   * given gateway. Not tracked for feedback.
   */
  async issueRawWarning(payload: unknown, to?: { enterpriseCode: string; gatewayCode: string }): Promise<void> {
    this.warnings.issueRaw(payload);
    if (this.mqttClient && to) await this.publishWarning(to.enterpriseCode, to.gatewayCode, typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  private publishWarning(enterpriseCode: string, gatewayCode: string | undefined, payload: string): Promise<void> {
    if (gatewayCode === undefined) throw new Error('an MQTT warning needs the gateway code (its topic names the gateway)');
    const topic = (this.opts.mqtt?.warningTopic ?? DEFAULT_WARNING_TOPIC).replaceAll('{enterpriseCode}', enterpriseCode).replaceAll('{gatewayCode}', gatewayCode);
    const client = this.mqttClient!;
    return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1, retain: false }, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Makes the HTTP profile refuse, with a business error code, every valid envelope the filter
   * picks (a platform whose data check fails one record); undefined stops it.
   */
  refuseWhen(filter: ((e: Envelope) => boolean) | undefined): void {
    this.refuseFilter = filter;
  }

  private refusedEnvelope(plain: string): Envelope | undefined {
    if (!this.refuseFilter) return undefined;
    try {
      const r = envelopeSchema.safeParse(JSON.parse(plain));
      return r.success && this.refuseFilter(r.data) ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Hidden-danger records and feedback: mqtt carries the contract's document (hiddenDanger), the
   * government profiles the interface record (dangerRecord); a record is this enterprise's; feedback
   * answers a warning this platform issued.
   */
  private documentProblem(profile: PlatformProfile, e: Envelope): string | undefined {
    if (e.type === 'hidden_danger') {
      const expected = profile === 'mqtt' ? 'hiddenDanger' : 'dangerRecord';
      if (e[expected] === undefined) return `${profile} carries a hidden_danger record as ${expected}`;
      const company = e.hiddenDanger?.companyCode ?? e.dangerRecord?.COMPANY_CODE;
      if (company !== e.enterpriseCode) return `隐患记录的企业 ${company} 不是上报企业 ${e.enterpriseCode}`;
    }
    if (e.warningFeedback) return this.warnings.feedbackProblem(e.warningFeedback);
    return undefined;
  }

  /** Validates and records one envelope; returns the problem when invalid. `dryRun` validates only. */
  private record(profile: PlatformProfile, json: string, dryRun = false): string | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return 'payload is not JSON';
    }
    const coded = profile === 'steel-rest' || profile === 'framed-tcp';
    const r = coded ? codedEnvelopeSchema.safeParse(parsed) : envelopeSchema.safeParse(parsed);
    if (!r.success) return `envelope invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    const codedItems = coded ? (r.data.items as CodedItem[]) : undefined;
    const envelope: Envelope = { ...r.data, items: r.data.items.map(({ alarmStateCode: _s, thresholdLevel: _t, ...item }: CodedItem | Envelope['items'][number] & { alarmStateCode?: number; thresholdLevel?: number }) => item) };
    const earlier = this.byDataId.get(envelope.dataId);
    if (earlier) {
      // A resend must be the same message; a dataId reused for other content is a gateway bug.
      if (earlier.seq !== envelope.seq || earlier.type !== envelope.type) return `dataId ${envelope.dataId} reused: seq ${earlier.seq} then ${envelope.seq}`;
      if (!dryRun) this.duplicates.push({ profile, envelope, receivedAt: Date.now() });
      return undefined;
    }
    const bodyProblem = envelopeBodyProblem(envelope) ?? this.documentProblem(profile, envelope);
    if (bodyProblem) return bodyProblem;
    if (envelope.type === 'basedata') {
      const problem = this.registrations.check(envelope);
      if (problem) return `基础数据无效: ${problem}`;
    } else if (envelope.type === 'realtime' && this.requireRegistration.has(profile)) {
      const unknown = this.registrations.unregistered(envelope);
      if (unknown.length > 0) return `测点未注册 (no base data for ${unknown.join(', ')})`;
    }
    if (dryRun) return undefined;
    if (envelope.type === 'basedata') this.registrations.register(envelope);
    if (envelope.warningFeedback) this.warnings.addFeedback(envelope.warningFeedback);
    if (envelope.hiddenDanger) this.warnings.addDanger(profile, { report: envelope.hiddenDanger });
    if (envelope.dangerRecord) this.warnings.addDanger(profile, { record: envelope.dangerRecord });
    const arrival: Arrival = { profile, envelope, receivedAt: Date.now(), ...(codedItems ? { coded: codedItems } : {}) };
    this.byDataId.set(envelope.dataId, envelope);
    this.arrivals.push(arrival);
    for (const l of this.listeners) l(arrival);
    return undefined;
  }

  // ---- MQTT ----

  private subscribe(o: NonNullable<PlatformSimulatorOptions['mqtt']>): Promise<void> {
    const topic = o.topic ?? 'safety/#';
    const client = mqtt.connect(o.url, {
      clientId: o.clientId ?? 'platform-simulator',
      reconnectPeriod: 200,
      clean: false,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
      ...(o.certFile ? { cert: readFileSync(o.certFile) } : {}),
      ...(o.keyFile ? { key: readFileSync(o.keyFile) } : {}),
    });
    this.mqttClient = client;
    const ownWarnings = topicPattern(o.warningTopic ?? DEFAULT_WARNING_TOPIC);
    client.on('message', (t, payload) => {
      // Its own warnings, seen again through the wildcard subscription: not data from a gateway.
      if (ownWarnings.test(t)) return;
      const problem = this.record('mqtt', payload.toString('utf8'));
      if (problem) this.rejections.push({ profile: 'mqtt', reason: `${t}: ${problem}`, receivedAt: Date.now() });
    });
    // Resubscribe after every (re)connect in case the broker lost the session (no persistence).
    client.on('connect', (ack) => {
      if (!ack.sessionPresent) client.subscribe(topic, { qos: 1 });
    });
    return new Promise((resolve, reject) => {
      client.once('connect', () => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      client.once('error', reject);
    });
  }
}
