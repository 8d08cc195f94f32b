import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from './deps.js';
import type { Authenticated } from './route.js';

export const SESSION_COOKIE = 'gw_session';

/** The value of one cookie from the Cookie header (no cookie library: one name is all we read). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function sessionCookie(deps: ApiDeps, id: string): string {
  const maxAge = Math.floor(deps.http.session.absoluteTimeout / 1000);
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${deps.secureCookies ? '; Secure' : ''}`;
}

export function clearedCookie(deps: ApiDeps): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${deps.secureCookies ? '; Secure' : ''}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Who is asking: a Bearer API token, or a session cookie. Cookie-authenticated writes must carry the
 * session's CSRF token in X-CSRF-Token (double submit: a page on another site can make the browser
 * send the cookie, but cannot read the token). Answers 401/403 itself and returns undefined when the
 * request may not go on. The user is read from the store at every request, so disabling a user or
 * changing their role takes effect at once.
 */
export function authenticator(deps: ApiDeps) {
  return (req: FastifyRequest, reply: FastifyReply, write: boolean): Authenticated | undefined => {
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const t = m ? deps.tokens.verify(m[1]!) : undefined;
      const user = t ? deps.users.get(t.user) : undefined;
      if (!user || user.disabled) {
        deps.metrics.inc('api_auth_failures', { reason: 'token' });
        void reply.code(401).header('WWW-Authenticate', 'Bearer').send({ error: 'API 令牌无效或已撤销 [invalid or revoked API token]' });
        return undefined;
      }
      return { user, via: 'token' };
    }
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = id ? deps.sessions.get(id) : undefined;
    const user = session ? deps.users.get(session.user) : undefined;
    if (!session || !user || user.disabled) {
      void reply
        .code(401)
        .header('Set-Cookie', id ? clearedCookie(deps) : [])
        .send({ error: id ? '会话已过期，请重新登录 [session expired]' : '请先登录 [login required]' });
      return undefined;
    }
    if (write) {
      const token = req.headers['x-csrf-token'];
      if (typeof token !== 'string' || !same(token, session.csrf)) {
        deps.metrics.inc('api_auth_failures', { reason: 'csrf' });
        void reply.code(403).send({ error: 'CSRF 令牌缺失或无效 [missing or wrong X-CSRF-Token]', field: 'header.x-csrf-token' });
        return undefined;
      }
    }
    return { user, via: 'session', sessionId: id!, csrf: session.csrf, expiresAt: session.expiresAt };
  };
}
