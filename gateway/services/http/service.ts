import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import { isLoopback, type HttpSection } from './config.js';
import { PrometheusExporter } from './prometheus.js';

export interface Readiness {
  ready: boolean;
  services: { name: string; started: boolean; ok: boolean; detail?: string }[];
}

/**
 * The gateway's HTTP server (fastify 5): `/healthz` (the process answers), `/readyz` (every enabled
 * service started and healthy, naming those that are not), `/metrics` (Prometheus), and the routes
 * other services add through ctx.http. It starts after them, so every route exists before it listens.
 */
export class HttpService implements Service {
  readonly name = 'http';
  private app: FastifyInstance | undefined;
  private readonly exporter: PrometheusExporter;
  /** Set by the composition root: the readiness of every service. */
  readiness: () => Readiness = () => ({ ready: true, services: [] });
  address = '';
  port = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly cfg: HttpSection,
  ) {
    this.exporter = new PrometheusExporter(ctx.metrics);
  }

  async start(): Promise<void> {
    const { cfg, ctx } = this;
    const https = cfg.tls ? { cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) } : null;
    const app = Fastify({ logger: false, bodyLimit: cfg.bodyLimit, https, trustProxy: false });
    this.app = app;
    app.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions.url ?? 'unmatched';
      ctx.metrics.observe('http_request_duration_seconds', reply.elapsedTime / 1000, { method: req.method, route, status: String(reply.statusCode) });
      done();
    });
    app.get('/healthz', () => ({ status: 'ok', gateway: ctx.gatewayId, uptimeSeconds: Math.round(process.uptime()) }));
    app.get('/readyz', (_req, reply) => {
      const r = this.readiness();
      return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', notReady: r.services.filter((s) => !s.started || !s.ok).map((s) => s.name), services: r.services });
    });
    app.get('/metrics', async (_req, reply) => reply.type(this.exporter.contentType).send(await this.exporter.render()));
    for (const { owner, plugin } of ctx.http.take()) {
      try {
        await plugin(app);
      } catch (err) {
        throw new Error(`HTTP routes of ${owner}: ${(err as Error).message}`, { cause: err });
      }
    }
    const port = ctx.overrides.httpPort ?? cfg.port;
    await app.listen({ host: cfg.host, port });
    const addr = app.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    this.address = `${cfg.tls ? 'https' : 'http'}://${host}:${this.port}`;
    if (!cfg.tls && !isLoopback(cfg.host)) {
      ctx.log.warn(`HTTP server on ${cfg.host} without TLS: passwords and session cookies cross the network in clear text; set http.tls (cert, key)`);
    }
    ctx.log.info(`HTTP 服务 [HTTP server] listening on ${this.address}`);
  }

  /** The fastify instance once started (tests drive it with inject()). */
  get instance(): FastifyInstance | undefined {
    return this.app;
  }

  health(): ServiceHealth {
    return this.app?.server.listening ? { ok: true } : { ok: false, detail: 'not listening' };
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new HttpService(ctx, ctx.config.http!);
}
