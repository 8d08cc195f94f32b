import { newUserSchema } from '../../auth/user-store.js';
import type { ApiDeps } from './deps.js';
import { ApiError, type ApiRouter } from './route.js';
import { tokenBody, tokenIdParams, userNameParams, userPatchBody } from './schemas.js';

function userOut(u: { name: string; role: string; areas: readonly string[]; disabled: boolean; createdAt: number; updatedAt: number }) {
  return { name: u.name, role: u.role, areas: [...u.areas], disabled: u.disabled, createdAt: u.createdAt, updatedAt: u.updatedAt };
}

/** Users and API tokens (admin). Every change is in the security audit; ending access ends sessions and tokens at once. */
export function adminRoutes(r: ApiRouter, deps: ApiDeps): void {
  r.add({ method: 'GET', url: '/users', summary: '用户一览', tag: 'users', access: 'users.manage' }, () => ({ users: deps.users.list().map(userOut) }));

  r.add({ method: 'POST', url: '/users', summary: '新建用户', tag: 'users', access: 'users.manage', body: newUserSchema }, async ({ body, auth, req, reply }) => {
    if (deps.users.get(body.name)) throw new ApiError(409, `user "${body.name}" already exists`, 'body.name');
    const u = await deps.users.add(body);
    deps.audit.record({ user: auth.user.name, action: 'USER_ADD', target: u.name, detail: `role=${u.role} areas=${u.areas.join(',')}`, address: req.ip });
    return reply.code(201).send({ user: userOut(u) });
  });

  r.add({ method: 'PATCH', url: '/users/:name', summary: '修改用户 (role, areas, disabled, password); disabling or a new password ends their sessions', tag: 'users', access: 'users.manage', params: userNameParams, body: userPatchBody }, async ({ params, body, auth, req }) => {
    if (!deps.users.get(params.name)) throw new ApiError(404, `no user "${params.name}"`, 'params.name');
    if (params.name === auth.user.name && (body.disabled === true || (body.role !== undefined && body.role !== 'admin'))) throw new ApiError(409, '不能停用自己或取消自己的管理员角色 [an admin cannot lock themselves out]');
    const { password, ...change } = body;
    deps.users.update(params.name, change);
    if (password !== undefined) await deps.users.setPassword(params.name, password);
    if (password !== undefined || body.disabled === true) deps.sessions.destroyUser(params.name);
    if (body.disabled === true) deps.tokens.revokeUser(params.name);
    // Read back after the password change and revocations, so the reply shows the user as stored.
    const u = deps.users.get(params.name)!;
    const detail = [...Object.entries(change).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`), ...(password !== undefined ? ['password changed'] : [])].join(' ');
    deps.audit.record({ user: auth.user.name, action: 'USER_CHANGE', target: u.name, detail, address: req.ip });
    return { user: userOut(u) };
  });

  r.add({ method: 'DELETE', url: '/users/:name', summary: '删除用户 (ends their sessions, revokes their tokens)', tag: 'users', access: 'users.manage', params: userNameParams }, ({ params, auth, req }) => {
    if (params.name === auth.user.name) throw new ApiError(409, '不能删除自己 [an admin cannot remove themselves]');
    if (!deps.users.remove(params.name)) throw new ApiError(404, `no user "${params.name}"`, 'params.name');
    deps.sessions.destroyUser(params.name);
    deps.tokens.revokeUser(params.name);
    deps.audit.record({ user: auth.user.name, action: 'USER_REMOVE', target: params.name, address: req.ip });
    return { ok: true };
  });

  r.add({ method: 'GET', url: '/tokens', summary: 'API 令牌一览 (never the secrets)', tag: 'tokens', access: 'tokens.manage' }, () => ({ tokens: deps.tokens.list() }));

  r.add({ method: 'POST', url: '/tokens', summary: '新建 API 令牌 (acts as the named user; the token is shown once)', tag: 'tokens', access: 'tokens.manage', body: tokenBody }, ({ body, auth, req, reply }) => {
    const owner = deps.users.get(body.user);
    if (!owner) throw new ApiError(404, `no user "${body.user}"`, 'body.user');
    const { token, info } = deps.tokens.create(owner.name, body.label, auth.user.name);
    deps.audit.record({ user: auth.user.name, action: 'TOKEN_CREATE', target: info.id, detail: `for ${owner.name}: ${body.label}`, address: req.ip });
    return reply.code(201).send({ token, info });
  });

  r.add({ method: 'DELETE', url: '/tokens/:id', summary: '撤销 API 令牌', tag: 'tokens', access: 'tokens.manage', params: tokenIdParams }, ({ params, auth, req }) => {
    if (!deps.tokens.revoke(params.id)) throw new ApiError(404, `no live token "${params.id}"`, 'params.id');
    deps.audit.record({ user: auth.user.name, action: 'TOKEN_REVOKE', target: params.id, address: req.ip });
    return { ok: true };
  });
}
