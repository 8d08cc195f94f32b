import { createServer, type Server, type Socket } from 'node:net';
import { aesDecrypt, aesIvBytes, aesKeyBytes, type AesMode } from '../../gateway/uplink/aes.js';
import { encodeFrame, FrameDecoder } from '../../gateway/uplink/at-frames.js';
import type { EnvelopeType } from '../../gateway/uplink/envelope.js';
import { TCP_DEFAULT_SERVICE_IDS, tcpOuterEnvelopeSchema } from '../../gateway/uplink/profiles/framed-tcp.js';
import type { EndpointHost } from './endpoint-host.js';

export interface TcpEndpointOptions {
  port?: number;
  host?: string;
  appId: string;
  districtCode: string;
  key: string;
  iv?: string;
  mode?: AesMode;
  serviceIds?: Partial<Record<EnvelopeType, string>>;
}

const DEFAULT_SERVICE_IDS: Record<EnvelopeType, string> = TCP_DEFAULT_SERVICE_IDS;

/**
 * The hazardous-chemicals platforms' framed TCP, simulated: reads `@@`-delimited frames (however
 * TCP cuts them), checks the outer envelope (appId, districtCode, serviceId matching the inner
 * type), decrypts `data`, validates and records it, and answers `{dataId, code, msg}@@`.
 */
export class TcpEndpoint {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private portNo = 0;
  private readonly key: Buffer;
  private readonly iv: Buffer | undefined;
  private readonly typeOf: Map<string, EnvelopeType>;
  /** Frames received (valid or not), and connections accepted. */
  frames = 0;
  connections = 0;

  constructor(
    private readonly o: TcpEndpointOptions,
    private readonly host: EndpointHost,
  ) {
    this.key = aesKeyBytes(o.key);
    this.iv = o.iv === undefined ? undefined : aesIvBytes(o.iv);
    this.typeOf = new Map(Object.entries({ ...DEFAULT_SERVICE_IDS, ...o.serviceIds }).map(([t, s]) => [s, t as EnvelopeType]));
  }

  get port(): number {
    return this.portNo;
  }

  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((s) => this.accept(s));
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
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (!s) return Promise.resolve();
    return new Promise((r) => s.close(() => r()));
  }

  /** Drops every open connection (the platform side), keeps listening. */
  dropConnections(): void {
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: string[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.host.rejected('framed-tcp', (err as Error).message);
        socket.destroy();
        return;
      }
      for (const f of frames) this.onFrame(socket, f).catch(() => socket.destroy());
    });
  }

  private ack(socket: Socket, dataId: string, code: number, msg: string): void {
    if (!socket.destroyed) socket.write(encodeFrame(JSON.stringify({ dataId, code, msg })));
  }

  private async onFrame(socket: Socket, frame: string): Promise<void> {
    this.frames++;
    let outer;
    try {
      outer = tcpOuterEnvelopeSchema.parse(JSON.parse(frame));
    } catch (err) {
      // Without a dataId there is nothing to acknowledge: the gateway times out and resends.
      this.host.rejected('framed-tcp', `frame is not a valid envelope: ${(err as Error).message.slice(0, 300)}`);
      return;
    }
    const mode = this.host.mode();
    if (mode === 'slow') await new Promise((r) => setTimeout(r, this.host.slowMs()));
    if (mode === 'http500') return this.ack(socket, outer.dataId, 500, '服务器内部错误 (simulated)');
    const refuse = (code: number, reason: string): void => {
      this.host.rejected('framed-tcp', reason);
      this.ack(socket, outer.dataId, code, reason);
    };
    if (outer.appId !== this.o.appId) return refuse(4010, `appId 错误: ${outer.appId}`);
    if (outer.districtCode !== this.o.districtCode) return refuse(4011, `districtCode 错误: ${outer.districtCode}`);
    const type = this.typeOf.get(outer.serviceId);
    if (!type) return refuse(4012, `unknown serviceId ${outer.serviceId}`);
    let plain: string;
    try {
      plain = aesDecrypt(Buffer.from(outer.data, 'base64'), this.key, this.iv, this.o.mode ?? 'cbc').toString('utf8');
    } catch (err) {
      return refuse(4001, `AES 解密失败: ${(err as Error).message}`);
    }
    let inner: { type?: unknown; dataId?: unknown };
    try {
      inner = JSON.parse(plain) as { type?: unknown; dataId?: unknown };
    } catch {
      return refuse(4002, 'decrypted data is not JSON');
    }
    if (inner.type !== type) return refuse(4003, `serviceId ${outer.serviceId} carries ${type} messages, got ${String(inner.type)}`);
    if (inner.dataId !== outer.dataId) return refuse(4004, `outer dataId ${outer.dataId} is not the inner ${String(inner.dataId)}`);
    const problem = this.host.record('framed-tcp', plain, mode === 'reject');
    if (problem) return refuse(4002, problem);
    if (mode === 'reject') return this.ack(socket, outer.dataId, 5000, '平台拒收 (simulated)');
    if (mode === 'drop') {
      // Recorded, but the acknowledgement is cut in the middle of its frame.
      const whole = encodeFrame(JSON.stringify({ dataId: outer.dataId, code: 0, msg: 'success' }));
      socket.end(whole.subarray(0, Math.floor(whole.length / 2)));
      return;
    }
    this.ack(socket, outer.dataId, 0, 'success');
  }
}
