import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { aesEncrypt, aesIvBytes, aesKeyBytes } from '../../gateway/uplink/aes.js';
import type { EnvelopeType } from '../../gateway/uplink/envelope.js';
import type { EndpointHost } from './endpoint-host.js';
import { STEEL_DEFAULT_PATHS } from '../../gateway/uplink/profiles/steel-rest.js';

export interface SteelEndpointOptions {
  port?: number;
  host?: string;
  appKey: string;
  appSecret: string;
  /** Lifetime of an issued token, seconds (default 300). */
  tokenTtlS?: number;
  tokenPath?: string;
  tokenMethod?: 'GET' | 'POST';
  paths?: Partial<Record<EnvelopeType, string>>;
  /** Poll endpoints of the warnings the platform issues (GET, token) and their receipt (POST {warningIds}). */
  warningsPath?: string;
  warningAckPath?: string;
  /** Encrypt the `data` of every answer with AES-CBC (base64), as some steel platforms do. */
  responseEncryption?: { key: string; iv: string };
}

const DEFAULT_PATHS: Record<EnvelopeType, string> = STEEL_DEFAULT_PATHS;
const credsSchema = z.strictObject({ appKey: z.string(), appSecret: z.string() });
const warningAckBodySchema = z.strictObject({ warningIds: z.array(z.string().min(1)).min(1) });

/**
 * The steel platform's token REST, simulated: POST (or GET) the token path with appKey/appSecret →
 * {code: 0, data: {token, expiresIn}}; POST a data path with `Authorization: Bearer <token>` → 401
 * for an unknown or expired token, else the envelope is validated (its type must be the path's) and
 * recorded → {code: 0, data: {dataId}}.
 */
export class SteelEndpoint {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private portNo = 0;
  private readonly tokens = new Map<string, number>();
  private readonly byPath: Map<string, EnvelopeType>;
  private readonly aes: { key: Buffer; iv: Buffer } | undefined;
  /** Tokens issued, and data requests refused with 401 (missing, unknown or expired token). */
  tokensIssued = 0;
  unauthorized = 0;
  /** Polls of the pending warnings answered. */
  warningPolls = 0;
  /** What the token endpoint saw in the URL (tests check the secret never leaks elsewhere). */
  readonly tokenRequests: { method: string; url: string }[] = [];

  constructor(
    private readonly o: SteelEndpointOptions,
    private readonly host: EndpointHost,
  ) {
    const paths = { ...DEFAULT_PATHS, ...o.paths };
    this.byPath = new Map(Object.entries(paths).map(([t, p]) => [p, t as EnvelopeType]));
    this.aes = o.responseEncryption ? { key: aesKeyBytes(o.responseEncryption.key), iv: aesIvBytes(o.responseEncryption.iv) } : undefined;
  }

  get port(): number {
    return this.portNo;
  }

  /** Base URL for the gateway's steel-rest profile. */
  get url(): string {
    return `http://127.0.0.1:${this.portNo}`;
  }

  /** Ends every token early (a platform restart): the next request gets 401. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // a client that aborts mid-request: its answer has nowhere to go
        if (!res.headersSent) res.destroy();
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNo || this.o.port || 0, this.o.host ?? '127.0.0.1', () => {
        const a = server.address();
        this.portNo = typeof a === 'object' && a ? a.port : this.portNo;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    return new Promise((r) => s.close(() => r()));
  }

  private answer(res: ServerResponse, status: number, code: number, msg: string, data?: unknown): void {
    const payload = data === undefined ? undefined : this.aes ? aesEncrypt(JSON.stringify(data), this.aes.key, this.aes.iv, 'cbc').toString('base64') : data;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ code, msg, ...(payload !== undefined ? { data: payload } : {}) }));
  }

  private refuse(res: ServerResponse, status: number, code: number, reason: string): void {
    this.host.rejected('steel-rest', reason);
    this.answer(res, status, code, reason);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const mode = this.host.mode();
    if (mode === 'slow') await new Promise((r) => setTimeout(r, this.host.slowMs()));
    if (mode === 'http500') return this.answer(res, 500, 500, '服务器内部错误 (simulated)');
    const url = new URL(req.url ?? '/', 'http://platform');
    const text = Buffer.concat(chunks).toString('utf8');
    if (url.pathname === (this.o.tokenPath ?? '/auth/token')) return this.issueToken(req, url, text, res);
    const warningsPath = this.o.warningsPath ?? '/warning/pending';
    const ackPath = this.o.warningAckPath ?? '/warning/ack';
    if (url.pathname === warningsPath || url.pathname === ackPath) return this.warningRequest(req, url.pathname === ackPath, text, res);
    const type = this.byPath.get(url.pathname);
    if (req.method !== 'POST' || !type) return this.refuse(res, 404, 404, `no such endpoint ${req.method} ${url.pathname}`);
    if (!this.authorized(req, res)) return;
    let envelopeType: unknown;
    try {
      envelopeType = (JSON.parse(text) as { type?: unknown }).type;
    } catch {
      return this.refuse(res, 400, 400, 'body is not JSON');
    }
    if (envelopeType !== type) return this.refuse(res, 200, 4003, `${url.pathname} takes ${type} messages, got ${String(envelopeType)}`);
    const problem = this.host.record('steel-rest', text, mode === 'reject');
    if (problem) return this.refuse(res, 200, 4002, problem);
    if (mode === 'reject') return this.answer(res, 200, 5000, '平台拒收 (simulated)');
    if (mode === 'drop') return void res.socket?.destroy();
    this.answer(res, 200, 0, 'success', { dataId: (JSON.parse(text) as { dataId: string }).dataId });
  }

  /** Answers 401 and returns false unless the request carries a live token. */
  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiresAt = this.tokens.get(token);
    if (expiresAt !== undefined && Date.now() < expiresAt) return true;
    this.unauthorized++;
    this.answer(res, 401, 401, token ? '令牌无效或已过期' : '缺少令牌');
    return false;
  }

  /** GET the pending warnings (data: the list, encrypted like any answer's data), or POST their receipt. */
  private warningRequest(req: IncomingMessage, isAck: boolean, text: string, res: ServerResponse): void {
    if (req.method !== (isAck ? 'POST' : 'GET')) return this.refuse(res, 405, 405, `${isAck ? 'warning ack: use POST' : 'warnings: use GET'}`);
    if (!this.authorized(req, res)) return;
    if (!isAck) {
      this.warningPolls++;
      return this.answer(res, 200, 0, 'success', this.host.pendingWarnings());
    }
    let ack: z.infer<typeof warningAckBodySchema>;
    try {
      ack = warningAckBodySchema.parse(JSON.parse(text));
    } catch (err) {
      return this.refuse(res, 400, 400, `预警签收格式错误: ${(err as Error).message}`);
    }
    if (!this.host.warningsReceived(ack.warningIds)) return this.answer(res, 500, 500, '服务器内部错误 (simulated)');
    this.answer(res, 200, 0, 'success');
  }

  private issueToken(req: IncomingMessage, url: URL, text: string, res: ServerResponse): void {
    const method = this.o.tokenMethod ?? 'POST';
    this.tokenRequests.push({ method: req.method ?? '', url: url.pathname });
    if (req.method !== method) return this.refuse(res, 405, 405, `token: use ${method}`);
    let creds: z.infer<typeof credsSchema>;
    try {
      creds = credsSchema.parse(method === 'GET' ? Object.fromEntries(url.searchParams) : JSON.parse(text));
    } catch (err) {
      return this.refuse(res, 400, 400, `token request invalid: ${(err as Error).message}`);
    }
    if (creds.appKey !== this.o.appKey || creds.appSecret !== this.o.appSecret) return this.refuse(res, 401, 401, 'appKey 或 appSecret 错误');
    const token = randomBytes(16).toString('hex');
    const ttl = this.o.tokenTtlS ?? 300;
    this.tokens.set(token, Date.now() + ttl * 1000);
    this.tokensIssued++;
    this.answer(res, 200, 0, 'success', { token, expiresIn: ttl });
  }
}
