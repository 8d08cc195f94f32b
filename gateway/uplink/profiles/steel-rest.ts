import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import type { OutgoingMessage } from '../envelope.js';
import { aesDecrypt, aesIvBytes, aesKeyBytes, AES_KEY_HINT, isAesIv, isAesKey } from '../aes.js';
import { alarmCodesSchema, encodeEnvelopeJson, DEFAULT_ALARM_CODES } from '../alarm-codes.js';
import { UplinkSendError, type ProfileContext, type UplinkProfile, type UplinkTransport, type WarningReceiver } from './profile.js';
import { WarningPoller, pollIntervalSchema, polledWarningsSchema } from '../warning-poll.js';

const codeSchema = z.union([z.number(), z.string()]);

/** Where each message type is posted, by default. */
export const STEEL_DEFAULT_PATHS = {
  realtime: '/data/realtime',
  alarm: '/data/alarm',
  heartbeat: '/data/heartbeat',
  basedata: '/data/basedata',
  hidden_danger: '/data/hiddenDanger',
  warning_feedback: '/warning/feedback',
  summary: '/data/summary',
} as const;

/**
 * The steel platform's REST access: a short-lived token obtained with the issued credentials
 * (appKey / appSecret), sent in the Authorization header; renewed before it expires and whenever
 * the platform answers 401. Where the platform encrypts its answers, their `data` is base64 of
 * AES-CBC(PKCS#7) JSON.
 */
export const steelRestProfileSchema = z.strictObject({
  profile: z.literal('steel-rest'),
  /** Base URL, e.g. https://platform.example.gov.cn/steel-api */
  url: z.string().regex(/^https?:\/\/.+/, 'expected http://… or https://…').transform((u) => u.replace(/\/+$/, '')),
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  token: z
    .strictObject({
      path: z.string().startsWith('/').default('/auth/token'),
      /** GET with appKey/appSecret as query parameters, or POST them as JSON. */
      method: z.enum(['GET', 'POST']).default('POST'),
      /** Authorization: <prefix><token>. */
      prefix: z.string().default('Bearer '),
      /** Renew this long before the token expires. */
      renewBefore: durationSchema.default(60_000),
    })
    .default({ path: '/auth/token', method: 'POST', prefix: 'Bearer ', renewBefore: 60_000 }),
  /** Path per message type. */
  paths: z
    .strictObject({
      realtime: z.string().startsWith('/').default('/data/realtime'),
      alarm: z.string().startsWith('/').default('/data/alarm'),
      heartbeat: z.string().startsWith('/').default('/data/heartbeat'),
      basedata: z.string().startsWith('/').default('/data/basedata'),
      hidden_danger: z.string().startsWith('/').default('/data/hiddenDanger'),
      warning_feedback: z.string().startsWith('/').default('/warning/feedback'),
      /** A centre's summary for the tier above (envelope type summary). */
      summary: z.string().startsWith('/').default('/data/summary'),
    })
    .default(STEEL_DEFAULT_PATHS),
  /** Where the platform encrypts the `data` of its answers: its AES key and IV (CBC, PKCS#7). */
  responseEncryption: z
    .strictObject({ key: z.string().refine(isAesKey, AES_KEY_HINT), iv: z.string().refine(isAesIv, 'expected 32 hex digits or 16 ASCII characters') })
    .optional(),
  timeout: durationSchema.default(10_000),
  response: z
    .strictObject({
      successCodes: z.array(codeSchema).min(1).default([0, 200, '0', '200']),
    })
    .default({ successCodes: [0, 200, '0', '200'] }),
  alarmCodes: alarmCodesSchema.default(DEFAULT_ALARM_CODES),
  /**
   * The platform's warnings (预警推送与反馈), polled when set: `GET <url><path>` with the token answers
   * {code, data: [warning …]} (data encrypted like any answer with responseEncryption);
   * `POST <url><ackPath>` {warningIds} is the receipt. Feedback goes up as warning_feedback messages.
   */
  warnings: z
    .strictObject({
      path: z.string().startsWith('/').default('/warning/pending'),
      ackPath: z.string().startsWith('/').default('/warning/ack'),
      pollInterval: pollIntervalSchema,
    })
    .optional(),
});
export type SteelRestProfileConfig = z.infer<typeof steelRestProfileSchema>;

/** Every answer of the platform: {code, msg, data}; data is an object, or base64 ciphertext when encrypted. */
export const steelResponseSchema = z.looseObject({ code: codeSchema, msg: z.string().optional(), data: z.unknown().optional() });
/** The token answer's data. `expiresIn` in seconds. */
export const steelTokenDataSchema = z.looseObject({ token: z.string().min(1), expiresIn: z.number().positive() });
/** A data answer's data, when the platform sends one: it names the message it took. */
export const steelAckDataSchema = z.looseObject({ dataId: z.string().optional() });

interface Token {
  value: string;
  /** Renew from here on: renewBefore ahead of expiry, but never in the first half of its life (short-lived tokens). */
  renewAt: number;
}

class SteelRestTransport implements UplinkTransport {
  private token: Token | undefined;
  private renewing: Promise<Token> | undefined;
  private readonly aes: { key: Buffer; iv: Buffer } | undefined;

  constructor(
    private readonly cfg: SteelRestProfileConfig,
    private readonly ctx: ProfileContext,
  ) {
    const enc = cfg.responseEncryption;
    this.aes = enc ? { key: aesKeyBytes(enc.key, 'uplink.transport.responseEncryption.key'), iv: aesIvBytes(enc.iv, 'uplink.transport.responseEncryption.iv') } : undefined;
  }

  describe(): string {
    return `steel-rest ${this.cfg.url} appKey=${this.cfg.appKey}`;
  }

  /** One HTTP exchange; errors never carry the URL's query string (the secret may be in it). */
  private async request(method: 'GET' | 'POST', path: string, init: { query?: URLSearchParams; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
    const url = `${this.cfg.url}${path}${init.query ? `?${init.query.toString()}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.cfg.timeout),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new UplinkSendError(`HTTP ${method} ${this.cfg.url}${path} failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    try {
      return { status: res.status, text: await res.text() };
    } catch (err) {
      throw new UplinkSendError(`HTTP ${res.status} from ${path}: reading the response failed: ${(err as Error).message}`);
    }
  }

  /** The answer's body, its `data` decrypted when the platform encrypts it. */
  private parseAnswer(path: string, status: number, text: string): z.infer<typeof steelResponseSchema> {
    let body: z.infer<typeof steelResponseSchema>;
    try {
      body = steelResponseSchema.parse(JSON.parse(text));
    } catch {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
      throw new UplinkSendError(`HTTP ${status} from ${path} but the body is not {code, msg, data}: ${text.slice(0, 200)}`);
    }
    if (this.aes && typeof body.data === 'string' && body.data !== '') {
      try {
        const plain = aesDecrypt(Buffer.from(body.data, 'base64'), this.aes.key, this.aes.iv, 'cbc').toString('utf8');
        body = { ...body, data: JSON.parse(plain) as unknown };
      } catch (err) {
        this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
        throw new UplinkSendError(`the platform's answer from ${path} does not decrypt with responseEncryption (AES-CBC): ${(err as Error).message}`);
      }
    }
    return body;
  }

  private isSuccess(code: string | number): boolean {
    return this.cfg.response.successCodes.some((c) => c === code);
  }

  private async currentToken(): Promise<Token> {
    const t = this.token;
    if (t && Date.now() < t.renewAt) return t;
    this.renewing ??= this.fetchToken().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async fetchToken(): Promise<Token> {
    const { path, method } = this.cfg.token;
    const creds = { appKey: this.cfg.appKey, appSecret: this.cfg.appSecret };
    const { status, text } =
      method === 'GET' ? await this.request('GET', path, { query: new URLSearchParams(creds) }) : await this.request('POST', path, { body: JSON.stringify(creds) });
    if (status === 401 || status === 403) throw new UplinkSendError(`the platform refused the credentials (HTTP ${status} from ${path}): check appKey / appSecret`);
    if (status < 200 || status > 299) throw new UplinkSendError(`HTTP ${status} from ${path}: ${text.slice(0, 200)}`);
    const body = this.parseAnswer(path, status, text);
    if (!this.isSuccess(body.code)) throw new UplinkSendError(`token refused: code=${JSON.stringify(body.code)}${body.msg ? ` (${body.msg})` : ''}`);
    const data = steelTokenDataSchema.safeParse(body.data);
    if (!data.success) {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
      throw new UplinkSendError(`token answer from ${path} without data {token, expiresIn}: ${data.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const lifeMs = data.data.expiresIn * 1000;
    const token = { value: data.data.token, renewAt: Date.now() + Math.max(lifeMs / 2, lifeMs - this.cfg.token.renewBefore) };
    this.token = token;
    this.ctx.metrics.inc('uplink_token_renewals_total', { profile: 'steel-rest' });
    this.ctx.logger.debug('平台令牌已更新', { expiresInS: data.data.expiresIn });
    return token;
  }

  private poller: WarningPoller | undefined;

  receiveWarnings(inbox: WarningReceiver): void {
    const w = this.cfg.warnings;
    if (!w || this.poller) return;
    this.poller = new WarningPoller({
      profile: 'steel-rest',
      url: `${this.cfg.url}${w.path}`,
      intervalMs: w.pollInterval,
      inbox,
      logger: this.ctx.logger,
      metrics: this.ctx.metrics,
      fetchPending: async () => {
        const answer = await this.authorized('GET', w.path);
        const list = polledWarningsSchema.safeParse(answer.data ?? []);
        if (!list.success) {
          this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
          throw new UplinkSendError(`warnings from ${w.path}: data is not a list of warnings`);
        }
        return list.data;
      },
      acknowledge: async (warningIds) => void (await this.authorized('POST', w.ackPath, JSON.stringify({ warningIds }))),
    });
    this.poller.start();
  }

  /** A request with the token (renewed once on 401, as for data); the answer when its code is a success. */
  private async authorized(method: 'GET' | 'POST', path: string, body?: string): Promise<z.infer<typeof steelResponseSchema>> {
    const attempt = async (token: Token) => this.request(method, path, { headers: { authorization: `${this.cfg.token.prefix}${token.value}` }, ...(body !== undefined ? { body } : {}) });
    let token = await this.currentToken();
    let res = await attempt(token);
    if (res.status === 401) {
      if (this.token === token) this.token = undefined;
      token = await this.currentToken();
      res = await attempt(token);
    }
    if (res.status < 200 || res.status > 299) throw new UplinkSendError(`HTTP ${res.status} from ${path}: ${res.text.slice(0, 200)}`);
    const answer = this.parseAnswer(path, res.status, res.text);
    if (!this.isSuccess(answer.code)) throw new UplinkSendError(`${path} answered code=${JSON.stringify(answer.code)}${answer.msg ? ` (${answer.msg})` : ''}`);
    return answer;
  }

  async send(message: OutgoingMessage): Promise<void> {
    const path = this.cfg.paths[message.header.type];
    const body = encodeEnvelopeJson(message.json, { codes: this.cfg.alarmCodes, disposal: true });
    let token = await this.currentToken();
    let res = await this.post(path, body, token);
    if (res.status === 401) {
      // The platform ended the token early (restart, revocation): one renewal and one resend. The
      // refused attempt was not stored, so the resend is no duplicate.
      if (this.token === token) this.token = undefined;
      token = await this.currentToken();
      res = await this.post(path, body, token);
      if (res.status === 401) throw new UplinkSendError(`HTTP 401 from ${path} with a fresh token`);
    }
    const refusesContent = res.status === 400 || res.status === 413 || res.status === 422;
    if (res.status < 200 || res.status > 299) throw new UplinkSendError(`HTTP ${res.status} from ${path}: ${res.text.slice(0, 200)}`, !refusesContent);
    const answer = this.parseAnswer(path, res.status, res.text);
    if (!this.isSuccess(answer.code)) {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
      throw new UplinkSendError(`platform answered code=${JSON.stringify(answer.code)}${answer.msg ? ` (${answer.msg})` : ''}`, false);
    }
    if (answer.data !== undefined && answer.data !== null) {
      const ack = steelAckDataSchema.safeParse(answer.data);
      if (!ack.success || (ack.data.dataId !== undefined && ack.data.dataId !== message.header.dataId)) {
        this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'steel-rest' });
        throw new UplinkSendError(`the platform's answer names another message (dataId ${ack.success ? ack.data.dataId : '?'}, sent ${message.header.dataId})`);
      }
    }
  }

  private post(path: string, body: string, token: Token): Promise<{ status: number; text: string }> {
    return this.request('POST', path, { headers: { authorization: `${this.cfg.token.prefix}${token.value}` }, body });
  }

  async close(): Promise<void> {
    await this.poller?.stop();
    this.poller = undefined;
    this.token = undefined;
  }
}

export const steelRestProfile: UplinkProfile<typeof steelRestProfileSchema> = {
  name: 'steel-rest',
  schema: steelRestProfileSchema,
  create: (cfg, ctx) => new SteelRestTransport(cfg, ctx),
};
