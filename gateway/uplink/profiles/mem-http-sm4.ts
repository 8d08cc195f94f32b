import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import type { OutgoingMessage } from '../envelope.js';
import { sm4CbcDecrypt, sm4CbcEncrypt, sm4KeyBytes } from '../sm4.js';
import { UplinkSendError, type ProfileContext, type UplinkProfile, type UplinkTransport, type WarningReceiver } from './profile.js';
import { WarningPoller, pollIntervalSchema, polledWarningsSchema } from '../warning-poll.js';
import { untrustedText } from '../../core/untrusted-text.js';
import { withDangerRecord } from '../danger-record.js';

const sm4KeySchema = z.string().refine((s) => /^[0-9a-fA-F]{32}$/.test(s) || Buffer.byteLength(s, 'utf8') === 16, 'expected 32 hex digits or 16 ASCII characters');

/**
 * The MEM (应急管理部) platforms' HTTP access: POST application/json with header `appsecret` and body
 * {"appid": "...", "data": "<hex of SM4-CBC/PKCS#7 of the JSON envelope>"}.
 */
export const memHttpSm4ProfileSchema = z.strictObject({
  profile: z.literal('mem-http-sm4'),
  url: z.string().regex(/^https?:\/\/.+/, 'expected http://… or https://…'),
  appid: z.string().min(1),
  appsecret: z.string().min(1),
  /** SM4 key and IV issued by the platform. */
  key: sm4KeySchema,
  iv: sm4KeySchema,
  timeout: durationSchema.default(10_000),
  /** How the platform says "accepted" inside a 2xx response body. */
  response: z
    .strictObject({
      codeField: z.string().default('code'),
      successCodes: z.array(z.union([z.string(), z.number()])).min(1).default([0, 200, '0', '200']),
      messageField: z.string().default('msg'),
      /** Where a warnings answer carries its (encrypted) list. */
      dataField: z.string().default('data'),
    })
    .default({ codeField: 'code', successCodes: [0, 200, '0', '200'], messageField: 'msg', dataField: 'data' }),
  /**
   * The platform's warnings (预警推送): polled, when set. `url` answers a POST of
   * {appid, data: hex SM4 of {enterpriseCode, gatewayCode}} with {code, data: hex SM4 of the warning
   * list}; `ackUrl` takes {appid, data: hex SM4 of {warningIds}} as the receipt.
   */
  warnings: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/.+/, 'expected http://… or https://…'),
      ackUrl: z.string().regex(/^https?:\/\/.+/, 'expected http://… or https://…'),
      pollInterval: pollIntervalSchema,
    })
    .optional(),
});
export type MemHttpSm4ProfileConfig = z.infer<typeof memHttpSm4ProfileSchema>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The platform's reply: an object; the code and message fields are checked by config. */
const responseBodySchema = z.record(z.string(), z.unknown());

class MemHttpSm4Transport implements UplinkTransport {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(
    private readonly cfg: MemHttpSm4ProfileConfig,
    private readonly ctx: ProfileContext,
  ) {
    this.key = sm4KeyBytes(cfg.key, 'key');
    this.iv = sm4KeyBytes(cfg.iv, 'iv');
  }

  describe(): string {
    return `mem-http-sm4 ${this.cfg.url}`;
  }

  private encrypt(plain: string): string {
    return sm4CbcEncrypt(plain, this.key, this.iv).toString('hex');
  }

  private poller: WarningPoller | undefined;

  receiveWarnings(inbox: WarningReceiver): void {
    const w = this.cfg.warnings;
    if (!w || this.poller) return;
    const who = JSON.stringify({ enterpriseCode: this.ctx.enterpriseCode, gatewayCode: this.ctx.gatewayCode });
    this.poller = new WarningPoller({
      profile: 'mem-http-sm4',
      url: w.url,
      intervalMs: w.pollInterval,
      inbox,
      logger: this.ctx.logger,
      metrics: this.ctx.metrics,
      fetchPending: async () => {
        const body = await this.exchange(w.url, this.encrypt(who));
        const data = body[this.cfg.response.dataField];
        if (data === undefined || data === null || data === '') return [];
        let list: unknown;
        try {
          if (typeof data !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(data)) throw new Error('data is not hex');
          list = JSON.parse(sm4CbcDecrypt(Buffer.from(data, 'hex'), this.key, this.iv).toString('utf8'));
        } catch (err) {
          this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'mem-http-sm4' });
          throw new Error(`warnings from ${w.url}: ${this.cfg.response.dataField} does not decrypt (SM4-CBC) to JSON: ${(err as Error).message}`, { cause: err });
        }
        const parsed = polledWarningsSchema.safeParse(list);
        if (!parsed.success) {
          this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'mem-http-sm4' });
          throw new Error(`warnings from ${w.url}: expected a list of warnings, got ${untrustedText(JSON.stringify(list) ?? '', 100)}`);
        }
        return parsed.data;
      },
      acknowledge: async (warningIds) => void (await this.exchange(w.ackUrl, this.encrypt(JSON.stringify({ warningIds })))),
    });
    this.poller.start();
  }

  /** POST {appid, data} to a warnings endpoint; the answer's body when its code is a success. */
  private async exchange(url: string, data: string): Promise<Record<string, unknown>> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', appsecret: this.cfg.appsecret },
      body: JSON.stringify({ appid: this.cfg.appid, data }),
      signal: AbortSignal.timeout(this.cfg.timeout),
    }).catch((err: Error & { cause?: { code?: string } }) => {
      throw new Error(`HTTP POST ${url} failed: ${err.cause?.code ?? err.message}`, { cause: err });
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${url}: ${untrustedText(text, 200)}`);
    const parsed = responseBodySchema.safeParse(safeJson(text));
    if (!parsed.success) {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'mem-http-sm4' });
      throw new Error(`HTTP ${res.status} from ${url} but the body is not a JSON object: ${untrustedText(text, 200)}`);
    }
    const code = parsed.data[this.cfg.response.codeField];
    if (!this.cfg.response.successCodes.some((c) => c === code)) {
      const msg = parsed.data[this.cfg.response.messageField];
      throw new Error(`${url} answered ${this.cfg.response.codeField}=${untrustedText(JSON.stringify(code) ?? 'undefined', 100)}${typeof msg === 'string' ? ` (${untrustedText(msg, 200)})` : ''}`);
    }
    return parsed.data;
  }

  async send(message: OutgoingMessage): Promise<void> {
    // A hidden-danger record goes in the interface's names and codes (DANGER_ID …), as MEM's 双重预防 interfaces take it.
    const data = sm4CbcEncrypt(withDangerRecord(message.json), this.key, this.iv).toString('hex');
    let res: Response;
    try {
      res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', appsecret: this.cfg.appsecret },
        body: JSON.stringify({ appid: this.cfg.appid, data }),
        signal: AbortSignal.timeout(this.cfg.timeout),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new UplinkSendError(`HTTP POST ${this.cfg.url} failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new UplinkSendError(`HTTP ${res.status}: reading the response failed: ${(err as Error).message}`);
    }
    // 400, 413 and 422 refuse this message's content; anything else may pass on a retry.
    const refusesContent = res.status === 400 || res.status === 413 || res.status === 422;
    if (res.status < 200 || res.status > 299) throw new UplinkSendError(`HTTP ${res.status} from the platform: ${untrustedText(text, 200)}`, !refusesContent);
    let parsed: z.infer<typeof responseBodySchema>;
    try {
      parsed = responseBodySchema.parse(JSON.parse(text));
    } catch {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'mem-http-sm4' });
      throw new UplinkSendError(`HTTP ${res.status} but the body is not a JSON object: ${untrustedText(text, 200)}`);
    }
    const code = parsed[this.cfg.response.codeField];
    const ok = this.cfg.response.successCodes.some((c) => c === code);
    if (!ok) {
      this.ctx.metrics.inc('uplink_bad_responses_total', { profile: 'mem-http-sm4' });
      const msg = parsed[this.cfg.response.messageField];
      // The platform's code and message are outside text: bounded and escaped before they reach a log line.
      throw new UplinkSendError(`platform answered ${this.cfg.response.codeField}=${untrustedText(JSON.stringify(code) ?? 'undefined', 100)}${typeof msg === 'string' ? ` (${untrustedText(msg, 200)})` : ''}`, false);
    }
  }

  async close(): Promise<void> {
    // fetch keeps no connection state we need to release; a poll under way is waited for.
    await this.poller?.stop();
    this.poller = undefined;
  }
}

export const memHttpSm4Profile: UplinkProfile<typeof memHttpSm4ProfileSchema> = {
  name: 'mem-http-sm4',
  schema: memHttpSm4ProfileSchema,
  create: (cfg, ctx) => new MemHttpSm4Transport(cfg, ctx),
};
