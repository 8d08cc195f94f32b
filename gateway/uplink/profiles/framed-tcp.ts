import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import type { EnvelopeType, OutgoingMessage } from '../envelope.js';
import { aesEncrypt, aesIvBytes, aesKeyBytes, AES_KEY_HINT, isAesIv, isAesKey } from '../aes.js';
import { encodeFrame, FrameDecoder } from '../at-frames.js';
import { alarmCodesSchema, encodeEnvelopeJson, DEFAULT_ALARM_CODES } from '../alarm-codes.js';
import { UplinkSendError, type ProfileContext, type UplinkProfile, type UplinkTransport } from './profile.js';

/** Fields of the outer envelope go on the wire as they are: "@@" in them would split the frame. */
const frameSafe = z.string().min(1).refine((s) => !s.includes('@'), 'may not contain "@" (frames are delimited by "@@")');
const codeSchema = z.union([z.number(), z.string()]);

/** serviceId per message type, by default (the platform's access spec may name them otherwise). */
export const TCP_DEFAULT_SERVICE_IDS = {
  realtime: 'REALTIME_DATA',
  alarm: 'ALARM_DATA',
  heartbeat: 'HEARTBEAT',
  basedata: 'BASE_DATA',
  hidden_danger: 'HIDDEN_DANGER',
  warning_feedback: 'WARNING_FEEDBACK',
  summary: 'CENTRE_SUMMARY',
} as const;

/**
 * The hazardous-chemicals platforms' framed TCP (Jiangsu style): one persistent TCP connection;
 * each message is `{appId, serviceId, dataId, districtCode, data}` + "@@", where data is base64 of
 * AES(PKCS#7) of the envelope JSON; the platform answers each frame with `{dataId, code, msg}` + "@@".
 */
export const framedTcpProfileSchema = z.strictObject({
  profile: z.literal('framed-tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  appId: frameSafe,
  /** 6-digit administrative division code (行政区划代码) of the plant's district. */
  districtCode: z.string().regex(/^\d{6}$/, 'expected the 6-digit administrative division code'),
  /** serviceId per message type, as the platform's access spec names its services. */
  serviceIds: z
    .strictObject({
      realtime: frameSafe.default('REALTIME_DATA'),
      alarm: frameSafe.default('ALARM_DATA'),
      heartbeat: frameSafe.default('HEARTBEAT'),
      basedata: frameSafe.default('BASE_DATA'),
      hidden_danger: frameSafe.default('HIDDEN_DANGER'),
      warning_feedback: frameSafe.default('WARNING_FEEDBACK'),
      /** A centre's summary for the tier above (envelope type summary). */
      summary: frameSafe.default('CENTRE_SUMMARY'),
    })
    .default(TCP_DEFAULT_SERVICE_IDS),
  /** AES key issued by the platform; AES-128/192/256 by its length. */
  key: z.string().refine(isAesKey, AES_KEY_HINT),
  /** CBC only: the IV issued with the key. */
  iv: z.string().refine(isAesIv, 'expected 32 hex digits or 16 ASCII characters').optional(),
  mode: z.enum(['cbc', 'ecb']).default('cbc'),
  connectTimeout: durationSchema.default(10_000),
  /** The platform's acknowledgement of a dataId must come within this. */
  ackTimeout: durationSchema.default(10_000),
  /** Reconnection after the connection drops: exponential backoff with ±20 % jitter. */
  reconnect: z
    .strictObject({ initialDelay: durationSchema.default(1000), maxDelay: durationSchema.default(60_000) })
    .default({ initialDelay: 1000, maxDelay: 60_000 }),
  ack: z
    .strictObject({
      /** Codes that acknowledge the frame. */
      successCodes: z.array(codeSchema).min(1).default([0, '0', 200, '200']),
      /** Codes that mean "try again later" (server trouble), not a refusal of the data. */
      retryCodes: z.array(codeSchema).default([500, '500', 503, '503']),
    })
    .default({ successCodes: [0, '0', 200, '200'], retryCodes: [500, '500', 503, '503'] }),
  alarmCodes: alarmCodesSchema.default(DEFAULT_ALARM_CODES),
}).refine((c) => c.mode === 'ecb' || c.iv !== undefined, { message: 'mode cbc needs iv', path: ['iv'] });
export type FramedTcpProfileConfig = z.infer<typeof framedTcpProfileSchema>;

/** The outer envelope on the wire (also parsed by the platform simulator). */
export const tcpOuterEnvelopeSchema = z.strictObject({
  appId: z.string().min(1),
  serviceId: z.string().min(1),
  dataId: z.string().min(1),
  districtCode: z.string(),
  data: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'data must be base64'),
});
export type TcpOuterEnvelope = z.infer<typeof tcpOuterEnvelopeSchema>;

/** The platform's acknowledgement frame; other fields it may add are ignored. */
export const tcpAckSchema = z.looseObject({ dataId: z.string().min(1), code: codeSchema, msg: z.string().optional() });
export type TcpAck = z.infer<typeof tcpAckSchema>;

interface Pending {
  resolve(): void;
  reject(err: UplinkSendError): void;
}

class FramedTcpTransport implements UplinkTransport {
  private readonly key: Buffer;
  private readonly iv: Buffer | undefined;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<string, Pending>();
  private failures = 0;
  private nextAttemptAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly cfg: FramedTcpProfileConfig,
    private readonly ctx: ProfileContext,
  ) {
    this.key = aesKeyBytes(cfg.key, 'uplink.transport.key');
    this.iv = cfg.iv === undefined ? undefined : aesIvBytes(cfg.iv, 'uplink.transport.iv');
  }

  describe(): string {
    return `framed-tcp ${this.cfg.host}:${this.cfg.port} appId=${this.cfg.appId}`;
  }

  serviceId(type: EnvelopeType): string {
    return this.cfg.serviceIds[type];
  }

  private connection(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) return Promise.reject(new UplinkSendError(`TCP connection to ${this.cfg.host}:${this.cfg.port} down, next attempt in ${wait} ms`));
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.cfg.host, port: this.cfg.port });
      const decoder = new FrameDecoder();
      let up = false;
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.cfg.connectTimeout} ms`)), this.cfg.connectTimeout);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        up = true;
        this.failures = 0;
        this.nextAttemptAt = 0;
        this.socket = socket;
        this.ctx.logger.info('平台 TCP 连接已建立', { peer: `${this.cfg.host}:${this.cfg.port}` });
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        let frames: string[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          this.badResponse(`unframeable data from the platform: ${(err as Error).message}`);
          socket.destroy();
          return;
        }
        for (const f of frames) this.onFrame(f);
      });
      socket.on('error', (err) => {
        if (!up) {
          clearTimeout(timer);
          reject(new UplinkSendError(`TCP connect to ${this.cfg.host}:${this.cfg.port} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        } else this.ctx.logger.debug('平台 TCP 连接错误', { error: err.message });
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (this.socket === socket) this.socket = undefined;
        const lost = decoder.pending > 0 ? ` (${decoder.pending} bytes of an unfinished frame)` : '';
        for (const [dataId, p] of this.pending) {
          this.pending.delete(dataId);
          p.reject(new UplinkSendError(`TCP connection closed before the acknowledgement${lost}`));
        }
        this.scheduleReconnect(up);
      });
    });
  }

  /** After a drop or a failed connect: the next attempt after an exponential backoff with ±20 % jitter, in the background. */
  private scheduleReconnect(wasUp: boolean): void {
    if (this.closed) return;
    this.failures = wasUp ? 1 : this.failures + 1;
    const base = Math.min(this.cfg.reconnect.maxDelay, this.cfg.reconnect.initialDelay * 2 ** Math.min(20, this.failures - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.nextAttemptAt = Date.now() + delay;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.socket && !this.connecting) this.connection().catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }

  private badResponse(what: string): void {
    this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'framed-tcp' });
    this.ctx.logger.warn('平台应答格式错误', { error: what });
  }

  private onFrame(frame: string): void {
    let ack: TcpAck;
    try {
      ack = tcpAckSchema.parse(JSON.parse(frame));
    } catch (err) {
      this.badResponse(`${(err as Error).message}: ${frame.slice(0, 200)}`);
      return;
    }
    const p = this.pending.get(ack.dataId);
    // A late acknowledgement of a message already given up on: it will be resent and dropped by the platform on dataId.
    if (!p) return;
    this.pending.delete(ack.dataId);
    const is = (codes: (string | number)[]): boolean => codes.some((c) => c === ack.code);
    if (is(this.cfg.ack.successCodes)) p.resolve();
    else p.reject(new UplinkSendError(`platform answered code=${JSON.stringify(ack.code)}${ack.msg ? ` (${ack.msg})` : ''}`, is(this.cfg.ack.retryCodes)));
  }

  async send(message: OutgoingMessage): Promise<void> {
    const socket = await this.connection();
    const { dataId, type } = message.header;
    const plain = encodeEnvelopeJson(message.json, { codes: this.cfg.alarmCodes, disposal: false });
    const outer: TcpOuterEnvelope = {
      appId: this.cfg.appId,
      serviceId: this.serviceId(type),
      dataId,
      districtCode: this.cfg.districtCode,
      data: aesEncrypt(plain, this.key, this.iv, this.cfg.mode).toString('base64'),
    };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(dataId);
        reject(new UplinkSendError(`no acknowledgement of dataId ${dataId} within ${this.cfg.ackTimeout} ms`));
      }, this.cfg.ackTimeout);
      this.pending.set(dataId, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      socket.write(encodeFrame(JSON.stringify(outer)));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) await new Promise<void>((r) => s.end(() => r()));
    s?.destroy();
  }
}

export const framedTcpProfile: UplinkProfile<typeof framedTcpProfileSchema> = {
  name: 'framed-tcp',
  schema: framedTcpProfileSchema,
  create: (cfg, ctx) => new FramedTcpTransport(cfg, ctx),
};
