import { join } from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import { LoginLimiter } from '../../auth/login-limiter.js';
import { SecurityAudit } from '../../auth/security-audit.js';
import { SessionStore } from '../../auth/sessions.js';
import { ApiTokenStore } from '../../auth/tokens.js';
import { UserStore, type UserStoreOptions } from '../../auth/user-store.js';
import { openDatabase, type Db } from '../../store/database.js';
import type { HttpSection } from '../http/config.js';
import type { HistoryService } from '../history/service.js';
import { influxTrendSource } from '../../sinks/influx/trend-source.js';
import type { Service, ServiceContext, ServiceHealth } from '../service.js';
import { adminRoutes } from './admin-routes.js';
import { centreRoutes } from '../centre/routes.js';
import type { CentreService } from '../centre/service.js';
import { alarmRoutes } from './alarm-routes.js';
import { authenticator } from './auth.js';
import { authRoutes } from './auth-routes.js';
import { dataRoutes } from './data-routes.js';
import type { ApiDeps } from './deps.js';
import { JournalQuery } from './journal-query.js';
import { ApiError, ApiRouter, openApiDocument } from './route.js';
import { alarmSseSource, SseHub } from './sse.js';

/** Routes another service adds under /api/v1 (same authentication, role checks, CSRF and OpenAPI). */
export type ApiExtension = (router: ApiRouter, deps: ApiDeps, api: FastifyInstance) => void | Promise<void>;

export interface ApiServiceOptions {
  /** Tests: a clock for sessions and rate limits, cheaper password hashes. */
  now?: () => number;
  userStore?: UserStoreOptions;
}

/**
 * The HTTP API under /api/v1 (JSON, zod-validated, OpenAPI at /api/v1/openapi.json): login sessions
 * and API tokens, the standing alarms and every operator action (through the alarm manager, which
 * journals and audits them), the journal with CSV export, points and trends, KPIs, audit, users, and
 * live alarm events by SSE. Adds its routes to the gateway's HTTP server; see README.md.
 */
export class ApiService implements Service {
  readonly name = 'api';
  private ownDb: Db | undefined;
  private hub: SseHub | undefined;
  private readonly extensions: ApiExtension[] = [];
  deps: ApiDeps | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly cfg: HttpSection,
    private readonly options: ApiServiceOptions = {},
  ) {}

  async start(): Promise<void> {
    const { ctx, cfg } = this;
    const db = ctx.db ?? (this.ownDb = openDatabase(join(ctx.dataDir, 'gateway.db')));
    const now = this.options.now ?? Date.now;
    const maxShelveMs = ctx.config.alarms.maxShelve;
    const tooLong = cfg.shelveDurations.filter((d) => d > maxShelveMs);
    if (tooLong.length) ctx.log.warn(`http.shelveDurations: ${tooLong.join(', ')} ms exceed alarms.maxShelve (${maxShelveMs} ms) and are not offered`);
    ctx.metrics.describe('api_auth_failures', 'API requests refused for a bad token or CSRF token');
    ctx.metrics.describe('api_login_throttled', 'Logins refused by the login rate limit');
    ctx.metrics.describe('api_sse_connections', 'Live event streams opened');
    ctx.metrics.describe('api_response_schema_violations', 'Alarm statuses that did not fit the documented response schema (served as they are, logged)');
    ctx.metrics.describe('api_trend_fallbacks', 'Trends served from the local history because the InfluxDB / VictoriaMetrics query failed');
    const journal = ctx.db ? new JournalQuery(ctx.db) : undefined;
    const deps: ApiDeps = {
      gatewayId: ctx.gatewayId,
      alarms: ctx.alarms,
      points: ctx.points,
      users: new UserStore(db, this.options.userStore),
      sessions: new SessionStore(db, { idleMs: cfg.session.idleTimeout, absoluteMs: cfg.session.absoluteTimeout, now }),
      tokens: new ApiTokenStore(db, now),
      limiter: new LoginLimiter({ maxFailures: cfg.loginRateLimit.maxFailures, windowMs: cfg.loginRateLimit.window, now }),
      audit: new SecurityAudit(db, now),
      journal,
      history: () => ctx.service<HistoryService>('history'),
      trends: influxTrendSource(ctx.config.influx, ctx.gatewayId),
      http: cfg,
      maxShelveMs,
      floodOptions: { threshold: ctx.config.alarms.floodThreshold, windowMs: ctx.config.alarms.floodWindow },
      secureCookies: cfg.tls !== undefined,
      now,
      log: ctx.log.child('api'),
      metrics: ctx.metrics,
    };
    this.deps = deps;
    const hub = new SseHub(alarmSseSource(ctx.alarms, ctx.points, journal));
    this.hub = hub;
    hub.start();
    ctx.http.add('api', async (app) => {
      await app.register(async (api: FastifyInstance) => {
        api.setErrorHandler((err: FastifyError, _req, reply) => {
          if (err instanceof ApiError) return reply.code(err.status).send({ error: err.message, ...(err.field ? { field: err.field } : {}) });
          const status = err.statusCode ?? 500;
          if (status >= 400 && status < 500) return reply.code(status).send({ error: `请求无效 [${err.code ?? 'bad request'}]: ${err.message}` });
          deps.log.error(`API ${_req.method} ${_req.url}: ${err.stack ?? err.message}`);
          return reply.code(500).send({ error: '服务器内部错误 [internal error]' });
        });
        api.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `没有该接口 [no such endpoint] ${req.method} ${req.url.split('?')[0]}` }));
        const router = new ApiRouter(api, authenticator(deps));
        authRoutes(router, deps);
        alarmRoutes(router, deps);
        dataRoutes(router, deps, hub);
        adminRoutes(router, deps);
        for (const extend of this.extensions) await extend(router, deps, api);
        // The monitoring-centre role's routes, when this gateway runs it.
        const centre = ctx.service<CentreService>('centre');
        if (centre) centreRoutes(router, centre, deps);
        const doc = openApiDocument(router.specs, { title: `${ctx.gatewayId} 安全风险监测预警网关 API`, version: '1' });
        api.get('/openapi.json', () => doc);
        // Live streams hold their connections open: end them before the server waits for requests to finish.
        api.addHook('preClose', (done) => {
          hub.closeClients();
          done();
        });
      }, { prefix: '/api/v1' });
    });
  }

  health(): ServiceHealth {
    return { ok: true };
  }

  /** Adds routes of a service started after this one and before the HTTP server (e.g. hidden-danger). */
  extend(extension: ApiExtension): void {
    this.extensions.push(extension);
  }

  /** Open live event streams. */
  get liveClients(): number {
    return this.hub?.size ?? 0;
  }

  /** Cuts every live stream, as a network blip would (tests; the clients reconnect and replay). */
  dropLiveClients(): void {
    this.hub?.closeClients();
  }

  async stop(): Promise<void> {
    this.hub?.stop();
    this.hub = undefined;
    this.ownDb?.close();
    this.ownDb = undefined;
  }
}

export function createService(ctx: ServiceContext): Service {
  return new ApiService(ctx, ctx.config.http!);
}
