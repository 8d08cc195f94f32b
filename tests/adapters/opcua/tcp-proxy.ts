import { createServer, connect, type Server, type Socket } from 'node:net';

/** One OPC UA TCP frame (OPC 10000-6 §7.1.2): message type + chunk type, its length, its body. */
export interface Frame {
  type: string;
  length: number;
  body: Buffer;
}

/** Cuts a byte stream into frames (8-byte header: 4 ASCII type bytes, little-endian UInt32 length). */
function frameReader(out: Frame[]): (data: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 8) {
      const length = pending.readUInt32LE(4);
      if (pending.length < length) return;
      out.push({ type: pending.toString('latin1', 0, 4), length, body: pending.subarray(8, length) });
      pending = pending.subarray(length);
    }
  };
}

/**
 * A loopback TCP proxy that can go silent: while `blackhole` is on, bytes in both directions are
 * dropped but no socket is closed — what a failed switch port or a hung PLC communication card
 * looks like to the gateway (no FIN, no RST, just nothing).
 */
export class SilentableProxy {
  blackhole = false;
  /** Every OPC UA TCP frame that passed, by direction: its 4-byte type (HELF, ACKF, MSGC, MSGF …) and length. */
  readonly frames = { fromClient: [] as Frame[], fromServer: [] as Frame[] };
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const fromClient = frameReader(this.frames.fromClient);
      const fromServer = frameReader(this.frames.fromServer);
      client.on('data', (d: Buffer) => {
        if (this.blackhole) return;
        fromClient(d);
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (this.blackhole) return;
        fromServer(d);
        client.write(d);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  get url(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
