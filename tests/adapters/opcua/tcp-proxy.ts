import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can go silent: while `blackhole` is on, bytes in both directions are
 * dropped but no socket is closed — what a failed switch port or a hung PLC communication card
 * looks like to the gateway (no FIN, no RST, just nothing).
 */
export class SilentableProxy {
  blackhole = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      client.on('data', (d) => {
        if (!this.blackhole) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.blackhole) client.write(d);
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
