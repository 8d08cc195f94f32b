import { AlarmActionError, type AlarmStatus } from '../../alarms/alarm-manager.js';
import { ActionForbidden, requireAlarmAction, shelveAction, unshelveAction } from '../../auth/alarm-authorization.js';
import { can, type Action } from '../../auth/permissions.js';
import type { User } from '../../auth/user-store.js';
import { alarmView, type ApiDeps } from './deps.js';
import { AlarmListResponder } from './alarm-list.js';
import { ApiError, type ApiRouter } from './route.js';
import {
  actionResponse,
  alarmIdParams,
  alarmListQuery,
  alarmListResponse,
  alarmView as alarmViewSchema,
  assignBody,
  commentBody,
  reasonBody,
  requiredReasonBody,
  selectionBody,
  shelveBody,
  silenceBody,
} from './schemas.js';
import { z } from 'zod';

/** The alarm, or 404. */
function find(deps: ApiDeps, alarmId: string): AlarmStatus {
  if (!deps.alarms.has(alarmId)) throw new ApiError(404, `没有该报警 [unknown alarm] "${alarmId}"`, 'params.id');
  return deps.alarms.get(alarmId);
}

/** 403 unless the user may do `action` in the alarm's area (the decision the control socket makes too). */
function allow(user: User, action: Action, s: AlarmStatus): void {
  try {
    requireAlarmAction(user, action, s.area);
  } catch (err) {
    if (err instanceof ActionForbidden) throw new ApiError(403, err.message);
    throw err;
  }
}

/** Runs an alarm-manager action, turning its refusals into 409. */
function act<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AlarmActionError) throw new ApiError(409, err.message);
    throw err;
  }
}

export function alarmRoutes(r: ApiRouter, deps: ApiDeps): void {
  const view = (s: AlarmStatus) => alarmView(deps.points, s);

  const list = new AlarmListResponder(deps.alarms, deps.points, (alarmId, problem) => {
    deps.metrics.inc('api_response_schema_violations');
    deps.log.error(`报警 ${alarmId} 不符合接口定义 [alarm status does not fit the response schema]: ${problem}`);
  });
  r.add(
    { method: 'GET', url: '/alarms', summary: '报警一览: standing alarms (active or not yet normal), never limited to a time window; limit/offset for a page', tag: 'alarms', access: 'alarms.read', query: alarmListQuery, response: alarmListResponse },
    ({ query, reply }) => reply.type('application/json; charset=utf-8').send(list.body(query, deps.journal?.lastSeq() ?? 0)),
  );

  r.add(
    { method: 'GET', url: '/alarms/:id', summary: '报警详情: status, transitions and comments (latest 200 events)', tag: 'alarms', access: 'alarms.read', params: alarmIdParams, response: z.object({ alarm: alarmViewSchema, events: z.array(z.unknown()) }) },
    ({ params }) => {
      const s = find(deps, params.id);
      return { alarm: view(s), events: deps.journal?.events({ alarmId: params.id, limit: 200 }) ?? [] };
    },
  );

  r.add({ method: 'POST', url: '/alarms/acknowledge', summary: '确认 (one, a selection, or an area)', tag: 'alarm actions', access: 'alarm.acknowledge', body: selectionBody, response: actionResponse }, ({ body, auth }) => {
    const user = auth.user;
    if (body.area !== undefined) {
      if (!can(user, 'alarm.acknowledge', body.area)) throw new ApiError(403, `权限不足 [forbidden]: ${user.name} may not acknowledge in area "${body.area}"`, 'body.area');
      return { alarms: act(() => deps.alarms.acknowledgeArea(body.area!, user.name, body.comment)).map(view) };
    }
    // All or nothing: every alarm is checked before any is acknowledged.
    const targets = body.alarmIds!.map((id) => find(deps, id));
    for (const s of targets) allow(user, 'alarm.acknowledge', s);
    return { alarms: targets.map((s) => view(act(() => deps.alarms.acknowledge(s.alarmId, user.name, body.comment)))) };
  });

  r.add({ method: 'POST', url: '/alarms/silence', summary: '消音: stops the horn for sounding alarms (not an acknowledgement)', tag: 'alarm actions', access: 'alarm.silence', body: silenceBody, response: actionResponse }, ({ body, auth }) => {
    const user = auth.user;
    const targets = body.alarmIds
      ? body.alarmIds.map((id) => find(deps, id))
      : deps.alarms.list().filter((s) => (body.area === undefined || s.area === body.area) && !s.facts.acked && !s.silenced && can(user, 'alarm.silence', s.area));
    for (const s of targets) allow(user, 'alarm.silence', s);
    return { alarms: targets.map((s) => view(act(() => deps.alarms.silence(s.alarmId, user.name)))) };
  });

  r.add({ method: 'POST', url: '/alarms/:id/shelve', summary: '搁置 (duration from http.shelveDurations, reason required; beyond http.operatorMaxShelve a supervisor)', tag: 'alarm actions', access: 'alarm.shelve', params: alarmIdParams, body: shelveBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    const allowed = deps.http.shelveDurations.filter((d) => d <= deps.maxShelveMs);
    if (!allowed.includes(body.durationMs)) throw new ApiError(400, `搁置时长须为以下之一 [durationMs must be one of] ${allowed.join(', ')}`, 'body.durationMs');
    allow(auth.user, shelveAction(body.durationMs, deps.http.operatorMaxShelve), s);
    return { alarms: [view(act(() => deps.alarms.shelve(s.alarmId, auth.user.name, { durationMs: body.durationMs, reason: body.reason })))] };
  });

  r.add({ method: 'POST', url: '/alarms/:id/unshelve', summary: '取消搁置 (one’s own shelve; others’ need a supervisor)', tag: 'alarm actions', access: 'alarm.unshelve', params: alarmIdParams, body: reasonBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    allow(auth.user, unshelveAction(auth.user, s.shelvedBy), s);
    return { alarms: [view(act(() => deps.alarms.unshelve(s.alarmId, auth.user.name, body.reason)))] };
  });

  r.add({ method: 'POST', url: '/alarms/:id/comment', summary: '备注', tag: 'alarm actions', access: 'alarm.comment', params: alarmIdParams, body: commentBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    allow(auth.user, 'alarm.comment', s);
    return { alarms: [view(act(() => deps.alarms.comment(s.alarmId, auth.user.name, body.comment)))] };
  });

  r.add({ method: 'POST', url: '/alarms/:id/assign', summary: '我来处理 ("I’m on it", without acknowledging; release: true gives it up)', tag: 'alarm actions', access: 'alarm.assign', params: alarmIdParams, body: assignBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    allow(auth.user, 'alarm.assign', s);
    return { alarms: [view(act(() => deps.alarms.assign(s.alarmId, auth.user.name, { release: body.release })))] };
  });

  r.add({ method: 'POST', url: '/alarms/:id/out-of-service', summary: '停用 (out of service; reason required)', tag: 'alarm actions', access: 'alarm.outOfService', params: alarmIdParams, body: requiredReasonBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    allow(auth.user, 'alarm.outOfService', s);
    return { alarms: [view(act(() => deps.alarms.setOutOfService(s.alarmId, true, auth.user.name, body.reason)))] };
  });

  r.add({ method: 'POST', url: '/alarms/:id/return-to-service', summary: '恢复投用 (return to service)', tag: 'alarm actions', access: 'alarm.outOfService', params: alarmIdParams, body: reasonBody, response: actionResponse }, ({ params, body, auth }) => {
    const s = find(deps, params.id);
    allow(auth.user, 'alarm.outOfService', s);
    return { alarms: [view(act(() => deps.alarms.setOutOfService(s.alarmId, false, auth.user.name, body.reason)))] };
  });
}
