import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Aedes } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { topics } from './topics.js';
import { untrustedText } from '../core/untrusted-text.js';

export interface BrokerOptions {
  host: string;
  port: number;
  gatewayId: string;
  allowAnonymous: boolean;
  log: Logger;
  metrics: Metrics;
}

function sameSecret(a: string, b: Buffer | undefined): boolean {
  if (!b) return false;
  const x = Buffer.from(a);
  return x.length === b.length && timingSafeEqual(x, b);
}

/**
 * The embedded aedes broker. Only the gateway itself may publish under gw/<id>/ (except ingest/, for
 * MQTT-native sensors): an HMI or a stray client must never be able to fake an alarm state. The
 * gateway's own publisher logs in with a credential generated per process.
 */
export class EmbeddedBroker {
  /** Credential of the gateway's own publisher. */
  readonly internalUser = { username: `gateway-internal-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('hex') };
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly options: BrokerOptions) {}

  async start(): Promise<number> {
    const { log, metrics, gatewayId } = this.options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        if (username === this.internalUser.username && sameSecret(this.internalUser.password, password)) {
          (client as unknown as { internal?: boolean }).internal = true;
          return done(null, true);
        }
        if (this.options.allowAnonymous && !username) return done(null, true);
        metrics.inc('mqtt_auth_failures');
        // Client id and user name are whatever the (unauthenticated) client sent.
        log.warn(`MQTT login refused for client ${untrustedText(client.id, 100)} (${username ? `user ${untrustedText(username, 100)}` : 'anonymous'})`);
        const err = Object.assign(new Error('not authorized'), { returnCode: username ? 4 : 5 });
        done(err as Error & { returnCode: number }, false);
      },
      authorizePublish: (client, packet, done) => {
        const own = topics.root(gatewayId);
        if (client && !(client as unknown as { internal?: boolean }).internal && packet.topic.startsWith(own) && !packet.topic.startsWith(`${own}ingest/`)) {
          metrics.inc('mqtt_publish_denied');
          return done(new Error(`only the gateway may publish to ${untrustedText(packet.topic, 200)}`));
        }
        done(null);
      },
    });
    this.aedes = aedes;
    const server = createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      aedes.handle(sock);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new Error(`MQTT port ${this.options.host}:${this.options.port} is in use; choose another with --mqtt-port <n>`) : e),
      );
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.options.port;
    log.info(`embedded MQTT broker listening on ${this.options.host}:${this.port}`);
    return this.port;
  }

  async stop(): Promise<void> {
    const aedes = this.aedes;
    const server = this.server;
    this.aedes = undefined;
    this.server = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
