import { ACTIONS, can } from '../../auth/permissions.js';
import type { ApiDeps } from './deps.js';
import { clearedCookie, sessionCookie } from './auth.js';
import { ApiError, type ApiRouter, type Authenticated } from './route.js';
import { loginBody, meResponse } from './schemas.js';

export function me(deps: ApiDeps, auth: Authenticated) {
  const u = auth.user;
  return {
    user: { name: u.name, role: u.role, areas: [...u.areas] },
    via: auth.via,
    ...(auth.csrf ? { csrfToken: auth.csrf } : {}),
    ...(auth.expiresAt ? { expiresAt: auth.expiresAt } : {}),
    permissions: ACTIONS.filter((a) => can(u, a)),
    shelveDurationsMs: deps.http.shelveDurations.filter((d) => d <= deps.maxShelveMs),
    operatorMaxShelveMs: Math.min(deps.http.operatorMaxShelve, deps.maxShelveMs),
    maxShelveMs: deps.maxShelveMs,
    gatewayId: deps.gatewayId,
  };
}

export function authRoutes(r: ApiRouter, deps: ApiDeps): void {
  r.add({ method: 'POST', url: '/auth/login', summary: '登录 (sets the session cookie; answers the CSRF token)', tag: 'auth', access: 'public', body: loginBody, response: meResponse }, async ({ body, req, reply }) => {
    const address = req.ip;
    const wait = deps.limiter.retryAfter(body.name, address);
    if (wait > 0) {
      deps.audit.record({ user: body.name, action: 'LOGIN_THROTTLED', address, ok: false });
      deps.metrics.inc('api_login_throttled');
      return reply
        .code(429)
        .header('Retry-After', String(Math.ceil(wait / 1000)))
        .send({ error: `登录失败次数过多，请 ${Math.ceil(wait / 60_000)} 分钟后再试 [too many failed logins]` });
    }
    const user = await deps.users.authenticate(body.name, body.password);
    if (!user || user.role === 'device') {
      deps.limiter.fail(body.name, address);
      deps.audit.record({ user: body.name, action: 'LOGIN_FAILED', address, ok: false });
      throw new ApiError(401, '用户名或密码错误 [wrong user name or password]');
    }
    deps.limiter.succeed(body.name);
    const { id, session } = deps.sessions.create(user.name, { ip: address, userAgent: req.headers['user-agent'] ?? '' });
    deps.audit.record({ user: user.name, action: 'LOGIN', address });
    reply.header('Set-Cookie', sessionCookie(deps, id));
    return me(deps, { user, via: 'session', sessionId: id, csrf: session.csrf, expiresAt: session.expiresAt });
  });

  r.add({ method: 'POST', url: '/auth/logout', summary: '退出登录 (ends the session)', tag: 'auth', access: 'user' }, ({ auth, req, reply }) => {
    if (auth.sessionId) deps.sessions.destroy(auth.sessionId);
    deps.audit.record({ user: auth.user.name, action: 'LOGOUT', address: req.ip });
    reply.header('Set-Cookie', clearedCookie(deps));
    return { ok: true };
  });

  r.add({ method: 'GET', url: '/auth/me', summary: '当前用户、权限与 CSRF 令牌', tag: 'auth', access: 'user', response: meResponse }, ({ auth }) => me(deps, auth));
}
