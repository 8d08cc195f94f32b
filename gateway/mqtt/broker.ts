import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { BurstLog } from '../core/burst-log.js';
import { untrusted } from '../core/untrusted-text.js';
import type { UserStore } from '../auth/user-store.js';
import type { SecurityAudit } from '../auth/security-audit.js';
import type { ApiTokenStore } from '../auth/tokens.js';
import { AccessPolicy, type BrokerIdentity } from './access-policy.js';
import { loadAclFile } from './acl-file.js';
import { PasswordFile } from './password-file.js';
import { LoginLimiter } from './login-limiter.js';
import { PacketSizeGuard } from './packet-size-guard.js';
import { reservedClientIdPrefix } from './topics.js';

export interface BrokerLimits {
  maxPacketBytes: number;
  maxRetainedMessages: number;
  maxRetainedBytes: number;
  maxQueuedBytes: number;
  maxLoginFailures: number;
  loginWindow: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxPacketBytes: 1024 * 1024,
  maxRetainedMessages: 10_000,
  maxRetainedBytes: 32 * 1024 * 1024,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxLoginFailures: 10,
  loginWindow: 60_000,
};

export interface BrokerTls {
  host?: string | undefined;
  port: number;
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
  requireClientCert: boolean;
}

/** Whether filter levels can match a topic made of `prefix` levels plus exactly one more level. */
function filterReachesLevelBelow(filter: string[], prefix: string[]): boolean {
  for (let i = 0; i <= prefix.length; i++) {
    const f = filter[i];
    if (f === undefined) return false;
    if (f === '#') return true;
    if (i === prefix.length) return filter.length === prefix.length + 1;
    if (f !== '+' && f !== prefix[i]) return false;
  }
  return false;
}

/** Local QoS 0 publishes waiting for the broker beyond this are dropped (and counted). */
const MAX_LOCAL_QUEUE = 20_000;

export interface BrokerOptions {
  host: string;
  port: number;
  gatewayId: string;
  allowAnonymous: boolean;
  log: Logger;
  metrics: Metrics;
  /** The gateway's users (broker, API and console share them). */
  users?: UserStore | undefined;
  /** API tokens, accepted as the MQTT password of their user (machine clients such as Grafana). */
  tokens?: ApiTokenStore | undefined;
  /** Where the broker records the sessions it ends because their user changed. */
  audit?: SecurityAudit | undefined;
  /** How often another process's user changes (the `users` CLI) are looked for (ms). */
  userCheckInterval?: number | undefined;
  passwordFile?: string | undefined;
  aclFile?: string | undefined;
  tls?: BrokerTls | undefined;
  limits?: Partial<BrokerLimits> | undefined;
}


function sameSecret(a: string, b: Buffer | undefined): boolean {
  if (!b) return false;
  const x = Buffer.from(a);
  return x.length === b.length && timingSafeEqual(x, b);
}

/** A denied publish is re-addressed here and dropped at delivery, as mosquitto drops it (no disconnect). */
const DROPPED = '$gateway/dropped';

/** aedes keeps the socket and parser on the client; their types are not exported. */
interface ClientInternals {
  conn: Socket;
  _parser: { parse(buf: Buffer): unknown };
}

/**
 * The embedded aedes broker with the gateway's user store, an optional mosquitto password file,
 * per-user topic ACLs (see access-policy.ts), an optional TLS listener and bounded sizes. Only the
 * gateway itself may publish under gw/<id>/ outside ingest/: an HMI or a stray client must never be
 * able to fake an alarm state. The gateway's own clients log in with a credential made per process.
 */
export class EmbeddedBroker {
  /** Credential of the gateway's own clients (publisher, MQTT ingest adapter). */
  readonly internalUser = { username: `gateway-internal-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('hex') };
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly localQueue: PublishPacket[] = [];
  private localBusy = false;
  /** Subscription filters of connected clients (client id → filters). */
  private readonly filters = new Map<string, Set<string>>();
  private readonly wantsCache = new Map<string, boolean>();
  private readonly drainWaiters: (() => void)[] = [];
  private readonly identities = new WeakMap<Client, BrokerIdentity>();
  /** Per client: topic → may it read. Cleared when the acl file changes. */
  private readCache = new WeakMap<Client, Map<string, boolean>>();
  private readonly policy: AccessPolicy;
  private readonly passwords: PasswordFile | undefined;
  private readonly limiter: LoginLimiter;
  private readonly limits: BrokerLimits;
  private readonly loginLog: BurstLog;
  private readonly aclLog: BurstLog;
  /**
   * Connected clients of user-store accounts, with the account's updated_at when they logged in: a
   * changed password, role, areas or disabled flag moves it, and the session is then ended.
   */
  private readonly userSessions = new Map<Client, { name: string; revision: number; tokenId?: string }>();
  private stopUserWatch: (() => void) | undefined;
  /** Retained messages of clients (not the gateway's own): topic → bytes. */
  private readonly retained = new Map<string, number>();
  private retainedBytes = 0;
  port = 0;
  tlsPort = 0;

  constructor(private readonly options: BrokerOptions) {
    this.limits = { ...DEFAULT_BROKER_LIMITS, ...options.limits };
    this.policy = new AccessPolicy(options.gatewayId, options.aclFile ? loadAclFile(options.aclFile) : undefined);
    this.passwords = options.passwordFile ? new PasswordFile(options.passwordFile, (m) => options.log.error(m)) : undefined;
    this.limiter = new LoginLimiter(this.limits.maxLoginFailures, this.limits.loginWindow);
    this.loginLog = new BurstLog(options.log, this.limits.loginWindow);
    this.aclLog = new BurstLog(options.log, 60_000);
  }

  /** Who the client logged in as (undefined before login). */
  identityOf(client: Client): BrokerIdentity | undefined {
    return this.identities.get(client);
  }

  private refuseLogin(client: Client, username: string | undefined, reason: string, returnCode: 2 | 4 | 5, done: (e: Error & { returnCode: 2 | 4 | 5 }, ok: false) => void): void {
    const address = (client as unknown as ClientInternals).conn?.remoteAddress ?? 'unknown';
    this.options.metrics.inc('mqtt_auth_failures', { reason });
    if (reason !== 'rate_limited') this.limiter.fail(address);
    this.loginLog.report(
      `${reason}|${address}`,
      `MQTT 登录被拒 [login refused] (${reason}) from ${untrusted(address)}: client "${untrusted(client.id)}" ${username !== undefined ? `user "${untrusted(username)}"` : 'anonymous'}`,
    );
    done(Object.assign(new Error('not authorized'), { returnCode }), false);
  }

  private async login(client: Client, username: string | undefined, password: Buffer | undefined): Promise<BrokerIdentity | { refused: string; code: 2 | 4 | 5 }> {
    const address = (client as unknown as ClientInternals).conn?.remoteAddress ?? 'unknown';
    if (username === this.internalUser.username && sameSecret(this.internalUser.password, password)) return { kind: 'internal' };
    if (client.id.startsWith(reservedClientIdPrefix(this.options.gatewayId))) return { refused: 'reserved_client_id', code: 2 };
    if (this.limiter.blocked(address)) return { refused: 'rate_limited', code: 5 };
    if (username === undefined || username === '') {
      return this.options.allowAnonymous && !password ? { kind: 'anonymous' } : { refused: 'anonymous', code: 5 };
    }
    const pw = password?.toString('utf8') ?? '';
    // An API token as the password, with its user as the user name; its revocation ends the session.
    const token = this.options.users && pw.startsWith('gwt_') ? this.options.tokens?.verify(pw) : undefined;
    if (token) {
      const user = token.user === username ? this.options.users!.get(username) : undefined;
      if (!user || user.disabled) return { refused: 'bad_credentials', code: 4 };
      this.userSessions.set(client, { name: user.name, revision: user.updatedAt, tokenId: token.id });
      return { kind: 'user', name: user.name, role: user.role, areas: user.areas };
    }
    const stored = this.options.users?.get(username);
    if (stored || !this.passwords?.has(username)) {
      // An unknown name runs the same hash as a known one (UserStore.authenticate equalises timing).
      const user = this.options.users ? await this.options.users.authenticate(username, pw) : undefined;
      if (!user) return { refused: 'bad_credentials', code: 4 };
      // Changed while the password was being checked (a few hundred ms of scrypt)? Then the change wins.
      if (this.options.users!.get(user.name)?.updatedAt !== user.updatedAt) return { refused: 'bad_credentials', code: 4 };
      this.userSessions.set(client, { name: user.name, revision: user.updatedAt });
      return { kind: 'user', name: user.name, role: user.role, areas: user.areas };
    }
    return (await this.passwords.verify(username, pw)) ? { kind: 'user', name: username, areas: [] } : { refused: 'bad_credentials', code: 4 };
  }

  private denied(kind: 'publish' | 'subscribe', client: Client, topic: string, reason: string): void {
    const id = this.identities.get(client);
    const who = id?.kind === 'user' ? id.name : (id?.kind ?? 'unknown');
    if (kind === 'publish') this.options.metrics.inc('mqtt_publish_denied');
    else this.options.metrics.inc('mqtt_subscribe_denied');
    this.aclLog.report(`${kind}|${who}|${reason}`, `MQTT ${kind === 'publish' ? '发布' : '订阅'}被拒 [${kind} denied]: client "${untrusted(client.id)}" user "${untrusted(who)}" topic "${untrusted(topic)}": ${reason}`);
  }

  /** Applies the retained-message bounds; false when this retained message must not be kept. */
  private admitRetained(topic: string, bytes: number): boolean {
    const old = this.retained.get(topic);
    if (bytes === 0) {
      if (old !== undefined) {
        this.retained.delete(topic);
        this.retainedBytes -= old;
      }
      return true;
    }
    const count = this.retained.size + (old === undefined ? 1 : 0);
    const total = this.retainedBytes - (old ?? 0) + bytes;
    if (count > this.limits.maxRetainedMessages || total > this.limits.maxRetainedBytes) return false;
    this.retained.set(topic, bytes);
    this.retainedBytes = total;
    return true;
  }

  private canRead(client: Client, id: BrokerIdentity, topic: string): boolean {
    let cache = this.readCache.get(client);
    if (!cache) this.readCache.set(client, (cache = new Map<string, boolean>()));
    let ok = cache.get(topic);
    if (ok === undefined) {
      ok = this.policy.read(id, client.id, topic);
      if (cache.size >= 4096) cache.clear();
      cache.set(topic, ok);
    }
    return ok;
  }

  /**
   * Bounds the bytes waiting to be written to one client. aedes waits for 'drain' whenever a write
   * returns false, and while it waits its broker-wide delivery window fills, so one subscriber that
   * never reads would stall every client. The socket's write reports success until maxQueuedBytes
   * are buffered; past that the slow client is disconnected and counted.
   */
  private boundQueue(sock: Socket): void {
    const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
    sock.write = ((...args: unknown[]) => {
      write(...args);
      if (sock.writableLength > this.limits.maxQueuedBytes && !sock.destroyed) {
        this.options.metrics.inc('mqtt_slow_client_disconnects');
        const who = (sock as Socket & { client?: Client }).client?.id;
        this.options.log.warn(`MQTT client "${untrusted(who)}" from ${untrusted(sock.remoteAddress)} disconnected: ${sock.writableLength} bytes waiting (limit ${this.limits.maxQueuedBytes}); it does not read fast enough`);
        sock.destroy();
      }
      return true;
    });
  }

  async start(): Promise<number> {
    const { log, metrics } = this.options;
    const aedes = await Aedes.createBroker({
      // A client whose socket does not drain for this long is dropped (besides maxQueuedBytes).
      drainTimeout: 30_000,
      authenticate: (client, username, password, done) => {
        this.login(client, username ?? undefined, password ?? undefined).then(
          (r) => {
            if ('refused' in r) return this.refuseLogin(client, username ?? undefined, r.refused, r.code, done);
            this.identities.set(client, r);
            metrics.inc('mqtt_logins', { kind: r.kind === 'user' ? (r.role ?? 'password_file') : r.kind });
            done(null, true);
          },
          (err: unknown) => {
            log.error(`MQTT login check failed: ${untrusted((err as Error).message, 300)}`);
            this.refuseLogin(client, username ?? undefined, 'error', 5, done);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        // aedes calls this with client null for its own $SYS heartbeats and wills of closed clients.
        if (!client) return done(null);
        const id = this.identities.get(client);
        const decision = id ? this.policy.publish(id, client.id, packet.topic) : { ok: false as const, reason: 'not logged in' };
        let reason = decision.ok ? undefined : decision.reason;
        if (!reason && packet.retain && id?.kind !== 'internal' && !this.admitRetained(packet.topic, packet.payload.length)) {
          reason = `retained-message limit (${this.limits.maxRetainedMessages} messages, ${this.limits.maxRetainedBytes} bytes) reached`;
          metrics.inc('mqtt_retained_refused');
        }
        if (reason) {
          this.denied('publish', client, packet.topic, reason);
          // Dropped, not refused: a refusal would disconnect the client (MQTT 3.1.1 has no negative
          // PUBACK), and mosquitto too drops a denied publish silently.
          packet.topic = DROPPED;
          packet.retain = false;
        }
        done(null);
      },
      authorizeSubscribe: (client, sub, done) => {
        const id = this.identities.get(client);
        const decision = id ? this.policy.subscribe(id, client.id, sub.topic) : { ok: false as const, reason: 'not logged in' };
        if (decision.ok) return done(null, sub);
        this.denied('subscribe', client, sub.topic, decision.reason);
        // null grants 0x80 (failure) for this filter; the client stays connected.
        done(null, null);
      },
      authorizeForward: (client, packet) => {
        if (packet.topic === DROPPED) return null;
        const id = this.identities.get(client);
        if (!id || !this.canRead(client, id, packet.topic)) {
          metrics.inc('mqtt_forward_denied');
          return null;
        }
        return packet;
      },
    });
    this.aedes = aedes;
    // Who subscribed to what, so the gateway can skip building readings nobody receives.
    aedes.on('subscribe', (subs, client) => {
      if (!client) return;
      const set = this.filters.get(client.id) ?? new Set<string>();
      for (const sub of subs) set.add(sub.topic);
      this.filters.set(client.id, set);
      this.wantsCache.clear();
    });
    aedes.on('unsubscribe', (topics, client) => {
      if (!client) return;
      const set = this.filters.get(client.id);
      for (const t of topics) set?.delete(t);
      this.wantsCache.clear();
    });
    aedes.on('clientDisconnect', (client) => {
      this.userSessions.delete(client);
      if (this.filters.delete(client.id)) this.wantsCache.clear();
    });
    this.watchUsers();
    if (this.options.aclFile) {
      const file = this.options.aclFile;
      watchFile(file, { interval: 2000, persistent: false }, () => {
        try {
          this.policy.setAcl(loadAclFile(file));
          this.readCache = new WeakMap();
          log.info(`acl file ${file} reloaded`);
        } catch (err) {
          log.error(`acl file not reloaded, keeping the previous rules: ${(err as Error).message}`);
        }
      });
    }
    const handle = (sock: Socket) => {
      // MQTT packets are small and each matters on its own: no Nagle delay (gateway/core/mqtt-socket.ts).
      sock.setNoDelay(true);
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      this.boundQueue(sock);
      const client = aedes.handle(sock) as unknown as ClientInternals;
      const guard = new PacketSizeGuard(this.limits.maxPacketBytes);
      const parse = client._parser.parse.bind(client._parser);
      client._parser.parse = (buf: Buffer) => {
        if (guard.feed(buf)) return parse(buf);
        metrics.inc('mqtt_oversized_packets');
        log.warn(`MQTT connection from ${untrusted(sock.remoteAddress)} closed: a packet over ${this.limits.maxPacketBytes} bytes`);
        sock.destroy();
        return undefined;
      };
    };
    const server = createServer(handle);
    this.port = await listen(server, this.options.host, this.options.port, '--mqtt-port <n>');
    this.server = server;
    log.info(`embedded MQTT broker listening on ${this.options.host}:${this.port}`);
    const tls = this.options.tls;
    if (tls) {
      const tlsServer = createTlsServer(
        {
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
          ...(tls.caFile ? { ca: readFileSync(tls.caFile), requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}),
        },
        (sock: TLSSocket) => handle(sock),
      );
      tlsServer.on('tlsClientError', (err, sock) => {
        metrics.inc('mqtt_tls_failures');
        this.loginLog.report(`tls|${sock.remoteAddress}`, `MQTT TLS handshake failed from ${untrusted(sock.remoteAddress)}: ${untrusted(err.message, 200)}`);
      });
      this.tlsPort = await listen(tlsServer, tls.host ?? this.options.host, tls.port, 'mqtt.tls.port');
      this.tlsServer = tlsServer;
      log.info(`embedded MQTT broker TLS listener on ${tls.host ?? this.options.host}:${this.tlsPort}${tls.requireClientCert ? ' (client certificates required)' : ''}`);
    }
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
      this.options.metrics.inc('mqtt_readings_dropped', { reason: 'broker_slow' });
      return;
    }
    this.localQueue.push({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false });
    this.pumpLocal();
  }

  /**
   * Whether any connected client holds a subscription that can match some topic `<prefix><name>`
   * (one more level). A QoS 0, non-retained message nobody subscribed to is dropped by any broker,
   * so the gateway need not build it (the readings of a plant whose MQTT clients only watch alarms).
   */
  hasSubscriberUnder(prefix: string): boolean {
    let v = this.wantsCache.get(prefix);
    if (v !== undefined) return v;
    const want = prefix.split('/').slice(0, -1);
    v = false;
    for (const set of this.filters.values()) {
      for (const f of set) if (filterReachesLevelBelow(f.split('/'), want)) v = true;
    }
    this.wantsCache.set(prefix, v);
    return v;
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

  /**
   * Ends the sessions of users whose account changed, at once: in-process changes (API, console)
   * arrive through UserStore.onChange; another process's (the `users` CLI) are noticed through
   * SQLite's data_version within userCheckInterval.
   */
  private watchUsers(): void {
    const users = this.options.users;
    if (!users) return;
    const off = users.onChange((name) => this.endStaleSessions(name));
    let stamp = users.changeStamp();
    const timer = setInterval(() => {
      try {
        const now = users.changeStamp();
        if (now === stamp) return;
        stamp = now;
        this.endStaleSessions();
      } catch (err) {
        this.options.log.warn(`MQTT: checking user changes failed: ${untrusted((err as Error).message, 200)}`);
      }
    }, this.options.userCheckInterval ?? 500);
    timer.unref();
    this.stopUserWatch = () => {
      off();
      clearInterval(timer);
    };
  }

  /**
   * Disconnects every session (of `name`, or of anyone) whose account was removed, disabled or
   * changed since its login; each one is logged, counted and written to the security audit. The
   * client cannot log in again with what it had: the account or the old password is refused.
   */
  endStaleSessions(name?: string): number {
    const users = this.options.users;
    if (!users) return 0;
    let ended = 0;
    for (const [client, session] of this.userSessions) {
      // A login whose connection failed before it was registered never sees clientDisconnect.
      if (client.closed) {
        this.userSessions.delete(client);
        continue;
      }
      if (name !== undefined && session.name !== name) continue;
      const now = users.get(session.name);
      const tokenRevoked = session.tokenId !== undefined && this.options.tokens?.get(session.tokenId)?.revokedAt !== null;
      const [label, reason] = !now
        ? ['removed', 'user removed']
        : now.disabled
          ? ['disabled', 'user disabled']
          : tokenRevoked
            ? ['token_revoked', `API token ${session.tokenId} revoked`]
            : now.updatedAt !== session.revision
              ? ['changed', 'password, role or areas changed']
              : [];
      if (!reason) continue;
      this.userSessions.delete(client);
      ended++;
      const address = (client as unknown as ClientInternals).conn?.remoteAddress ?? 'unknown';
      this.options.metrics.inc('mqtt_sessions_ended', { reason: label! });
      this.options.log.warn(`MQTT 会话已断开 [session ended]: user "${untrusted(session.name)}" client "${untrusted(client.id)}" from ${untrusted(address)}: ${reason}`);
      try {
        this.options.audit?.record({ user: 'mqtt-broker', action: 'MQTT_SESSION_END', target: session.name, detail: `client "${client.id}": ${reason}`, address });
      } catch (err) {
        // The disconnect matters more than its audit row (a full disk must not keep the session open).
        this.options.log.error(`MQTT: audit of an ended session failed: ${untrusted((err as Error).message, 200)}`);
      }
      client.close();
    }
    return ended;
  }

  /** Clients connected now (the gateway's own publisher included). */
  connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    // The gateway's last messages (the offline status) go out before the broker closes.
    await Promise.race([this.drainLocal(), new Promise((r) => setTimeout(r, 2000))]);
    const aedes = this.aedes;
    const servers = [this.server, this.tlsServer];
    this.aedes = undefined;
    this.server = undefined;
    this.tlsServer = undefined;
    if (this.options.aclFile) unwatchFile(this.options.aclFile);
    this.stopUserWatch?.();
    this.stopUserWatch = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    for (const server of servers) if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.loginLog.flush();
    this.aclLog.flush();
  }
}

function listen(server: Server | TlsServer, host: string, port: number, hint: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new Error(`MQTT port ${host}:${port} is in use; choose another with ${hint}`) : e));
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
