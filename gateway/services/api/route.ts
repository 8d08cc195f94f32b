import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can, type Action } from '../../auth/permissions.js';
import type { User } from '../../auth/user-store.js';

/** An error the API answers with its status and message (and the field, when one is at fault). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Authenticated {
  user: User;
  via: 'session' | 'token';
  /** The session's cookie id (logout) and CSRF token. */
  sessionId?: string;
  csrf?: string;
  expiresAt?: number;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: Method;
  /** Under /api/v1, fastify syntax (/alarms/:id). */
  url: string;
  summary: string;
  tag: string;
  /** 'public': no login; 'user': any logged-in user; an action: the role must allow it (areas are checked by the handler). */
  access: 'public' | 'user' | Action;
  body?: B;
  query?: Q;
  params?: P;
  /** Response body schema, for the OpenAPI document. */
  response?: z.ZodType;
  /** Content type of a non-JSON response (CSV, SSE). */
  produces?: string;
}

export interface HandlerInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** Undefined only on public routes. */
  auth: Authenticated;
  req: FastifyRequest;
  reply: FastifyReply;
}

export type Authenticator = (req: FastifyRequest, reply: FastifyReply, write: boolean) => Authenticated | undefined;


function fieldErrors(where: string, error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
}

/** The API's routes on one fastify instance; the OpenAPI document is written from them. */
export class ApiRouter {
  readonly specs: RouteSpec<z.ZodType, z.ZodType, z.ZodType>[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly authenticate: Authenticator,
  ) {}

  /**
   * Registers one API route: authenticates (401) and checks the role (403), then parses params,
   * query and body with its zod schemas (400 naming each bad field) before the handler runs.
   */
  add<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
    spec: RouteSpec<B, Q, P>,
    handler: (input: HandlerInput<z.output<B>, z.output<Q>, z.output<P>>) => unknown,
  ): void {
    const authenticate = this.authenticate;
    this.specs.push(spec);
    this.app.route({
    method: spec.method,
      url: spec.url,
    handler: async (req, reply) => {
      let auth: Authenticated | undefined;
      if (spec.access !== 'public') {
        auth = authenticate(req, reply, spec.method !== 'GET');
        if (!auth) return reply;
        if (spec.access !== 'user' && !can(auth.user, spec.access)) {
          throw new ApiError(403, `权限不足 [forbidden]: role ${auth.user.role} may not ${spec.access}`);
        }
      }
      const parsed: Record<string, unknown> = {};
      const errors: { field: string; message: string }[] = [];
      for (const [where, schema, value] of [
        ['params', spec.params, req.params],
        ['query', spec.query, req.query],
        ['body', spec.body, req.body],
      ] as const) {
        if (!schema) continue;
        const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
        if (r.success) parsed[where] = r.data;
        else errors.push(...fieldErrors(where, r.error));
      }
      if (errors.length) {
        return reply.code(400).send({ error: `请求无效 [invalid request]: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, fields: errors });
      }
      return handler({ body: parsed.body, query: parsed.query, params: parsed.params, auth: auth!, req, reply } as HandlerInput<z.output<B>, z.output<Q>, z.output<P>>);
    },
  });
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' });
}

/** The OpenAPI 3.0 document of every registered route, generated from the same zod schemas. */
export function openApiDocument(specs: readonly RouteSpec<z.ZodType, z.ZodType, z.ZodType>[], info: { title: string; version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = `/api/v1${spec.url}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', spec.params],
      ['query', spec.query],
    ] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
      }
    }
    const op: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
      responses: {
        200: {
          description: 'OK',
          content: spec.produces ? { [spec.produces]: {} } : { 'application/json': spec.response ? { schema: jsonSchema(spec.response, 'output') } : {} },
        },
        400: { description: '请求无效 (the fields at fault are named)' },
        ...(spec.access !== 'public' ? { 401: { description: '未登录' }, 403: { description: '权限不足或 CSRF 令牌无效' } } : {}),
      },
      ...(spec.access !== 'public' ? { security: [{ session: [] }, { bearer: [] }], 'x-required-action': spec.access } : {}),
    };
    (paths[path] ??= {})[spec.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info,
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'gw_session', description: 'Login session; writes also need the X-CSRF-Token header from /api/v1/auth/me' },
        bearer: { type: 'http', scheme: 'bearer', description: 'API token gwt_<id>_<secret> (admin: POST /api/v1/tokens)' },
      },
    },
  };
}
