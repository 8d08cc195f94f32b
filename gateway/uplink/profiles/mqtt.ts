import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import { sendMqttWithoutDelay } from '../../core/mqtt-socket.js';
import type { EnvelopeHeader, OutgoingMessage } from '../envelope.js';
import { UplinkSendError, type ProfileContext, type UplinkProfile, type UplinkTransport, type WarningReceiver } from './profile.js';

export const mqttProfileSchema = z.strictObject({
  profile: z.literal('mqtt'),
  /** mqtts://platform.example.cn:8883 (TLS) or mqtt://… */
  url: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'expected mqtt://host:port or mqtts://host:port'),
  /** Default: the gateway code. */
  clientId: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** PEM files for TLS: the platform's CA, and the client certificate and key if it issues one. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  /**
   * The name the platform's certificate is checked against (and sent as SNI), when url holds an IP
   * address but the certificate is issued for a host name. Default: the host of url (an IP address
   * is checked against the certificate's IP SANs).
   */
  servername: z.string().min(1).optional(),
  /** Only for test platforms with self-signed certificates: false skips every certificate check. */
  rejectUnauthorized: z.boolean().default(true),
  /** Placeholders {enterpriseCode}, {gatewayCode}, {type}. */
  topic: z.string().default('safety/{enterpriseCode}/{gatewayCode}/{type}'),
  connectTimeout: durationSchema.default(10_000),
  /** How long to wait for the PUBACK before the send counts as failed. */
  ackTimeout: durationSchema.default(10_000),
  keepalive: durationSchema.default(30_000),
  /**
   * The platform's warnings (预警推送), when set: subscribed QoS 1 on `topic` (default: the topic
   * template with {type} = warning; may be a filter with + or #, e.g. one topic for the enterprise) over the same connection, with a persistent session
   * (clean: false) so the broker keeps warnings published while the gateway is away. PUBACK only
   * after the warning is stored.
   */
  warnings: z.strictObject({ topic: z.string().min(1).optional() }).optional(),
});
export type MqttProfileConfig = z.infer<typeof mqttProfileSchema>;

/** A topic template with {enterpriseCode}, {gatewayCode} and {type} filled in. */
function fillTopic(template: string, v: { enterpriseCode: string; gatewayCode: string; type: string }): string {
  return template.replaceAll('{enterpriseCode}', v.enterpriseCode).replaceAll('{gatewayCode}', v.gatewayCode).replaceAll('{type}', v.type);
}

/** MQTT topic filter matching: `+` one level, `#` the rest (the warning topic may be a filter). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function readPem(file: string | undefined, field: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`uplink.transport.${field}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Node's codes for a platform certificate that does not verify against caFile. */
const SERVER_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'INVALID_PURPOSE',
]);

export type MqttConnectFailure = 'server_certificate' | 'tls_handshake' | 'auth' | 'network' | 'timeout';

/**
 * Why a connect failed, in words an operator can act on: the uplink logs this text with the first
 * failed send, and the reason labels `uplink_mqtt_connect_failures_total`. A certificate or
 * password problem does not heal by retrying, so it must not read like a flaky network.
 */
export function explainConnectError(err: Error & { code?: unknown }): { reason: MqttConnectFailure; text: string } {
  const code = err.code;
  if (typeof code === 'string' && SERVER_CERT_CODES.has(code)) {
    return { reason: 'server_certificate', text: `平台服务器证书校验失败 (TLS certificate ${code}: ${err.message})，请检查 caFile 是否为平台的 CA 证书、证书是否在有效期内` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { reason: 'server_certificate', text: `平台服务器证书与连接地址不符 (TLS certificate ${code}: ${err.message})，请检查 url，或设置 servername 为证书上的域名` };
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL_')) {
    // OpenSSL's message carries its error stack; `reason` is the readable part ("tlsv13 alert certificate required").
    const reason = (err as { reason?: unknown }).reason;
    return { reason: 'tls_handshake', text: `TLS 握手被拒绝 (${code}: ${typeof reason === 'string' ? reason : err.message})，请检查客户端证书 certFile/keyFile 是否由平台签发、是否过期` };
  }
  // CONNACK return codes: 4 bad user name or password, 5 not authorized (MQTT 3.1.1).
  if (code === 4 || code === 5) {
    return { reason: 'auth', text: `平台拒绝登录 (CONNACK ${code}: ${err.message})，请检查 username/password 或客户端证书是否已在平台登记` };
  }
  return { reason: 'network', text: err.message };
}

/**
 * MQTT 3.1.1 to the platform's broker, QoS 1. The client is created without automatic reconnect
 * and thrown away after any failure: mqtt.js would otherwise resend its own copy of an unacked
 * message on reconnect, behind our back and out of queue order.
 */
class MqttTransport implements UplinkTransport {
  private client: MqttClient | undefined;
  private connecting: Promise<MqttClient> | undefined;
  private readonly tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;

  constructor(
    private readonly cfg: MqttProfileConfig,
    private readonly ctx: ProfileContext,
  ) {
    const ca = readPem(cfg.caFile, 'caFile');
    const cert = readPem(cfg.certFile, 'certFile');
    const key = readPem(cfg.keyFile, 'keyFile');
    this.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }

  describe(): string {
    return `mqtt ${this.cfg.url}`;
  }

  private topic(envelope: Pick<EnvelopeHeader, 'enterpriseCode' | 'gatewayCode' | 'type'>): string {
    return fillTopic(this.cfg.topic, envelope);
  }

  private inbox: WarningReceiver | undefined;

  /** The warning topic of this gateway. */
  private warningTopic(): string {
    return fillTopic(this.cfg.warnings?.topic ?? this.cfg.topic, { enterpriseCode: this.ctx.enterpriseCode, gatewayCode: this.ctx.gatewayCode, type: 'warning' });
  }

  receiveWarnings(inbox: WarningReceiver): void {
    if (!this.cfg.warnings) return;
    this.inbox = inbox;
    // A connection made before this (none normally: start() calls it before the first send) subscribes now.
    if (this.client?.connected) this.subscribeWarnings(this.client).catch((err: Error) => this.ctx.logger.warn('订阅平台预警失败', { topic: this.warningTopic(), error: err.message }));
  }

  private subscribeWarnings(client: MqttClient): Promise<void> {
    const topic = this.warningTopic();
    return new Promise((resolve, reject) =>
      client.subscribe(topic, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        // SUBACK 0x80: the broker refused the subscription (ACL).
        if (granted?.some((g) => g.qos === 128)) return reject(new Error(`the broker refused the subscription to ${topic}`));
        resolve();
      }),
    );
  }

  /**
   * A message on the connection: a warning goes to the inbox, which stores it before it returns;
   * mqtt.js sends the PUBACK only when `done` is called without an error, so a warning the disk
   * refused is delivered again by the broker.
   */
  private handleIncoming(topic: string, payload: Buffer, done: (err?: Error) => void): void {
    if (!this.inbox || !topicMatches(this.warningTopic(), topic)) return done();
    const r = this.inbox.accept(payload.toString('utf8'), topic);
    done(r.outcome === 'failed' ? new Error(`warning not stored: ${r.error}`) : undefined);
  }

  private connect(): Promise<MqttClient> {
    if (this.client?.connected) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    this.drop();
    const client = mqtt.connect(this.cfg.url, {
      clientId: this.cfg.clientId ?? `${this.ctx.gatewayCode}`,
      username: this.cfg.username,
      password: this.cfg.password,
      // A persistent session when warnings come down this connection: the broker keeps them meanwhile.
      clean: this.cfg.warnings === undefined,
      reconnectPeriod: 0,
      connectTimeout: this.cfg.connectTimeout,
      keepalive: Math.max(1, Math.round(this.cfg.keepalive / 1000)),
      rejectUnauthorized: this.cfg.rejectUnauthorized,
      ...(this.cfg.servername ? { servername: this.cfg.servername } : {}),
      ...this.tls,
    });
    sendMqttWithoutDelay(client);
    this.connecting = new Promise<MqttClient>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`connect timeout after ${this.cfg.connectTimeout} ms`), 'timeout'), this.cfg.connectTimeout + 500);
      // The first cause wins: a TLS or CONNACK error is followed by a 'close' that says nothing.
      const fail = (err: Error, reason?: MqttConnectFailure): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeAllListeners('connect');
        client.end(true);
        const explained = explainConnectError(err);
        this.ctx.metrics.inc('uplink_mqtt_connect_failures_total', { reason: reason ?? explained.reason });
        reject(new UplinkSendError(`MQTT connect to ${this.cfg.url} failed: ${explained.text}`));
      };
      client.once('connect', () => {
        if (settled) return;
        const up = (): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.client = client;
          resolve(client);
        };
        if (!this.inbox) return up();
        // Subscribed before the first send, so a warning is never missed while the link is up.
        this.subscribeWarnings(client).then(up, (err: Error) => {
          this.ctx.metrics.inc('uplink_warning_subscribe_failures_total');
          this.ctx.logger.warn('订阅平台预警失败，上报继续', { topic: this.warningTopic(), error: err.message });
          up();
        });
      });
      client.once('error', (err) => fail(err));
      client.once('close', () => fail(new Error('connection closed')));
    }).finally(() => {
      this.connecting = undefined;
    });
    client.handleMessage = (packet, done) => this.handleIncoming(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), done);
    // After connect, a later error or close only marks the client dead; the next send reconnects.
    client.on('error', (err) => this.ctx.logger.debug('MQTT uplink error', { error: err.message }));
    return this.connecting;
  }

  private drop(): void {
    if (this.client) {
      this.client.end(true);
      this.client = undefined;
    }
  }

  async send(message: OutgoingMessage): Promise<void> {
    const client = await this.connect();
    const payload = message.json;
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.removeListener('close', onClose);
        if (err) {
          this.drop();
          reject(err instanceof UplinkSendError ? err : new UplinkSendError(err.message));
        } else resolve();
      };
      const onClose = (): void => finish(new UplinkSendError('MQTT connection closed before PUBACK'));
      const timer = setTimeout(() => finish(new UplinkSendError(`no PUBACK within ${this.cfg.ackTimeout} ms`)), this.cfg.ackTimeout);
      client.once('close', onClose);
      if (!client.connected) return finish(new UplinkSendError('MQTT not connected'));
      client.publish(this.topic(message.header), payload, { qos: 1 }, (err) => finish(err ?? undefined));
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await new Promise<void>((r) => c.end(false, {}, () => r()));
  }
}

export const mqttProfile: UplinkProfile<typeof mqttProfileSchema> = {
  name: 'mqtt',
  schema: mqttProfileSchema,
  create: (cfg, ctx) => new MqttTransport(cfg, ctx),
};
