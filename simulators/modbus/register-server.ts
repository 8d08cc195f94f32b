import { createServer, type Server, type Socket } from 'node:net';
import { MbapRequestParser, RtuRequestParser, exceptionPdu, mbapFrame, rtuFrame } from './protocol.js';
import { ModbusSlave } from './slave.js';

export { RegisterBank, ModbusSlave } from './slave.js';

export interface RegisterServerOptions {
  host?: string;
  /** 0 picks a free port; read it back from `port` after start(). */
  port?: number;
  /** 'tcp': Modbus TCP (MBAP). 'rtu': RTU frames over TCP, as a serial device server in transparent mode. */
  framing?: 'tcp' | 'rtu';
  /** Unit ids that answer (default: all). */
  unitIds?: readonly number[];
  /**
   * Modbus TCP only: a unit id that does not answer gets exception 0x0B, as a TCP-to-RTU gateway
   * reports a silent slave; otherwise the request goes unanswered.
   */
  gateway?: boolean;
}

/**
 * A Modbus TCP (or RTU-over-TCP) slave over in-memory register banks, one per unit id, with fault
 * injection for tests: exceptions on chosen addresses, slow replies, silent unit ids, dropped
 * connections, and a "hang" mode that accepts connections but never answers (a half-open link).
 */
export class RegisterServer extends ModbusSlave {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Accept connections but ignore every request (a hung device or a half-open link). */
  hang = false;
  port = 0;
  /** Most requests one connection had outstanding (received, not yet answered) at any time: a master that pipelines shows > 1. */
  maxOutstanding = 0;

  constructor(private readonly options: RegisterServerOptions = {}) {
    super(options.unitIds);
    this.port = options.port ?? 0;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    const server = createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (typeof addr === 'object' && addr) this.port = addr.port;
    this.server = server;
    return this.port;
  }

  /** Stops listening and drops every client connection (as a power-cycled device would). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.dropConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resets every open connection but keeps listening (a device or switch that drops sessions). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {
      /* a client that disappears mid-request is normal on a plant network */
    });
    // Requests on one connection are answered in order, one at a time, like a real device.
    let chain = Promise.resolve();
    if (this.options.framing === 'rtu') {
      const parser = new RtuRequestParser();
      sock.on('data', (chunk: Buffer) => {
        for (const req of parser.push(chunk)) {
          chain = chain.then(async () => {
            if (this.hang) return;
            const reply = await this.respond(req.unit, req.pdu);
            if (reply && !sock.destroyed) sock.write(rtuFrame(req.unit, reply));
          });
        }
      });
      return;
    }
    const parser = new MbapRequestParser();
    let outstanding = 0;
    sock.on('data', (chunk: Buffer) => {
      const reqs = parser.push(chunk);
      if (reqs === 'bad') {
        sock.destroy();
        return;
      }
      outstanding += reqs.length;
      this.maxOutstanding = Math.max(this.maxOutstanding, outstanding);
      for (const req of reqs) {
        chain = chain.then(async () => {
          try {
            if (this.hang) return;
            let reply = await this.respond(req.unit, req.pdu);
            if (!reply && this.options.gateway && req.unit !== 0) reply = exceptionPdu(req.pdu[0] ?? 0, 0x0b);
            if (reply && !sock.destroyed) sock.write(mbapFrame(req.transactionId, req.unit, reply));
          } finally {
            outstanding--;
          }
        });
      }
    });
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
