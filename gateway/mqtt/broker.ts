import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Aedes, type PublishPacket } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { RateLimitedLog } from '../core/rate-limited-log.js';
import { topics } from './topics.js';
import { untrustedText } from '../core/untrusted-text.js';

/** Local QoS 0 publishes waiting for the broker beyond this are dropped (and counted). */
const MAX_LOCAL_QUEUE = 20_000;

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
  private readonly localQueue: PublishPacket[] = [];
  private localBusy = false;
  private readonly drainWaiters: (() => void)[] = [];
  port = 0;

  constructor(private readonly options: BrokerOptions) {}

  async start(): Promise<number> {
    const { log, metrics, gatewayId } = this.options;
    // A client retrying a wrong password every second logs once per backoff step, keyed by where it
    // connects from (client ids may change on every attempt); every refusal is still counted.
    const refusals = new RateLimitedLog(log);
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        if (username === this.internalUser.username && sameSecret(this.internalUser.password, password)) {
          (client as unknown as { internal?: boolean }).internal = true;
          return done(null, true);
        }
        if (this.options.allowAnonymous && !username) return done(null, true);
        metrics.inc('mqtt_auth_failures');
        const from = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
        // Client id and user name are whatever the (unauthenticated) client sent.
        refusals.warn(from, `MQTT 登录被拒绝 [login refused]: client ${untrustedText(client.id, 100)} from ${from} (${username ? `user ${untrustedText(username, 100)}` : 'anonymous'})`);
        const err = Object.assign(new Error('not authorized'), { returnCode: username ? 4 : 5 });
        done(err, false);
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

  /**
   * Publishes as the broker itself (the gateway's own messages, in process): no TCP client, no
   * encoding and decoding; subscribers still get it through authorizeForward.
   */
  publishLocal(topic: string, payload: string, qos: 0 | 1, retain: boolean): void {
    if (!this.aedes) return;
    // Readings (QoS 0) wait at most this many deep; the latest value matters most. Alarms never drop.
    if (qos === 0 && this.localQueue.length >= MAX_LOCAL_QUEUE) {
      this.options.metrics.inc('mqtt_readings_dropped', { reason: 'broker_busy' });
      return;
    }
    this.localQueue.push({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false });
    this.pumpLocal();
  }

  /** Resolves when every local publish made so far has been handed to the subscribers. */
  drainLocal(): Promise<void> {
    if (!this.localBusy && this.localQueue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * One local publish at a time, in order, as a client's packets are handled: aedes stores a retained
   * message before it forwards it, and drops a message whose broker counter is older than one a
   * subscriber already got, so overlapping publishes would lose events. A loop, not recursion: aedes
   * often completes synchronously.
   */
  private pumpLocal(): void {
    if (this.localBusy) return;
    this.localBusy = true;
    for (;;) {
      const aedes = this.aedes;
      const packet = this.localQueue.shift();
      if (!aedes || !packet) break;
      let pending = true;
      let sync = true;
      aedes.publish(packet, (err) => {
        if (err) this.options.metrics.inc('mqtt_local_publish_errors');
        pending = false;
        if (!sync) {
          this.localBusy = false;
          this.pumpLocal();
        }
      });
      sync = false;
      if (pending) return; // resumed by the callback
    }
    this.localBusy = false;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Clients connected now (the gateway's own publisher included). */
  connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    // The gateway's last messages (the offline status) go out before the broker closes.
    await Promise.race([this.drainLocal(), new Promise((r) => setTimeout(r, 2000))]);
    const aedes = this.aedes;
    const server = this.server;
    this.aedes = undefined;
    this.server = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
