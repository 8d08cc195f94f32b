import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { can, type Principal } from '../../auth/permissions.js';
import { alarmView, type ApiDeps } from '../api/deps.js';
import { ApiError, type ApiRouter } from '../api/route.js';
import { listQuery, MOVE_INPUTS, registerInput, type MoveKind } from './inputs.js';
import type { HiddenDangerLoop } from './loop.js';
import type { PhotoFiles } from './photos.js';
import { sniffImage } from './photos.js';
import { DEADLINE_STATES, hiddenDangerRecordSchema, isMine, isOverdue, TRANSITION_NAMES, type HiddenDangerRecord } from './record.js';
import { HiddenDangerError, type Change, type SummaryRow } from './store.js';
import type { HiddenDangerSection } from './config.js';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const photoParams = z.strictObject({ id: z.string().min(1).max(64), photoId: z.string().uuid() });
const photoQuery = z.strictObject({ phase: z.enum(['before', 'after']).default('before') });

/** A record as the API lists it: the stored fields plus whether it is overdue and whose turn it is. */
const recordView = hiddenDangerRecordSchema.extend({ overdue: z.boolean(), mine: z.boolean() });
const changeResponse = z.object({ record: recordView });

export interface RouteDeps {
  loop: HiddenDangerLoop;
  photos: PhotoFiles;
  config: () => HiddenDangerSection;
  now(): number;
  /** Called after a record was submitted (the dispatcher reviews closure). */
  submitted(id: string): void;
}

/** Turns the loop's refusals into API errors (403 role, 404 unknown, 409 state). */
function act(fn: () => Change): Change {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HiddenDangerError) throw new ApiError(err.status, err.message);
    throw err;
  }
}

/** Beijing time (UTC+8) month start of `now`. */
function monthStart(now: number): number {
  const d = new Date(now + 8 * 3_600_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 8 * 3_600_000;
}

/**
 * /api/v1/hidden-dangers: list with filters, detail, statistics, registration, the five state moves
 * and photos. Added to the API's router, so authentication, role checks, CSRF, zod validation and the
 * OpenAPI document are the API's own; areas are checked here per record.
 */
export async function hiddenDangerRoutes(r: ApiRouter, api: ApiDeps, app: FastifyInstance, d: RouteDeps): Promise<void> {
  await app.register(multipart, { limits: { files: 1, fields: 4, fileSize: d.config().photos.maxBytes, parts: 5 } });
  const store = d.loop.store;
  const view = (rec: HiddenDangerRecord, user: Principal) => ({ ...rec, overdue: isOverdue(rec, d.now()), mine: isMine(user, rec) });
  const find = (id: string): HiddenDangerRecord => {
    const rec = store.get(id);
    if (!rec) throw new ApiError(404, `没有该隐患 [no such hidden-danger record] "${id}"`, 'params.id');
    return rec;
  };

  r.add(
    { method: 'GET', url: '/hidden-dangers', summary: '隐患一览: filter by state, level, area, overdue, mine, alarmId (open records unless all=true)', tag: 'hidden dangers', access: 'hazard.read', query: listQuery, response: z.object({ records: z.array(recordView) }) },
    ({ query, auth }) => {
      const now = d.now();
      const open = query.all === 'true' || query.state?.includes('closed') ? undefined : true;
      const records = store
        .list({ state: query.state, level: query.level, area: query.area, open, limit: query.overdue === 'true' || query.mine === 'true' || query.alarmId !== undefined ? 100_000 : query.limit })
        .filter((rec) => (query.overdue === undefined || isOverdue(rec, now) === (query.overdue === 'true')) && (query.mine !== 'true' || isMine(auth.user, rec)) && (query.alarmId === undefined || rec.alarmIds.includes(query.alarmId)))
        .slice(0, query.limit);
      return { records: records.map((rec) => view(rec, auth.user)) };
    },
  );

  r.add({ method: 'GET', url: '/hidden-dangers/stats', summary: '隐患统计: open, overdue, closed this month, average time to close, by level and area', tag: 'hidden dangers', access: 'hazard.read' }, () => {
    const now = d.now();
    const all = store.summaryRows();
    const overdue = (x: SummaryRow) => DEADLINE_STATES.has(x.state) && x.deadline !== null && now > x.deadline;
    const open = all.filter((x) => x.state !== 'closed');
    const closed = all.filter((x) => x.state === 'closed' && x.closedAt !== null);
    const from = monthStart(now);
    const byLevel: Record<string, { open: number; overdue: number; closedThisMonth: number }> = { general: { open: 0, overdue: 0, closedThisMonth: 0 }, major: { open: 0, overdue: 0, closedThisMonth: 0 } };
    const byArea: Record<string, { open: number; overdue: number; closedThisMonth: number }> = {};
    const byState: Record<string, number> = {};
    for (const x of all) {
      const row = (byArea[x.area] ??= { open: 0, overdue: 0, closedThisMonth: 0 });
      const lv = byLevel[x.level]!;
      byState[x.state] = (byState[x.state] ?? 0) + 1;
      if (x.state !== 'closed') {
        row.open++;
        lv.open++;
      }
      if (overdue(x)) {
        row.overdue++;
        lv.overdue++;
      }
      if (x.state === 'closed' && (x.closedAt ?? 0) >= from) {
        row.closedThisMonth++;
        lv.closedThisMonth++;
      }
    }
    const avgMs = closed.length ? closed.reduce((s, x) => s + (x.closedAt! - x.registTime), 0) / closed.length : null;
    return {
      open: open.length,
      overdue: open.filter(overdue).length,
      closedThisMonth: closed.filter((x) => x.closedAt! >= from).length,
      averageHoursToClose: avgMs === null ? null : Math.round((avgMs / 3_600_000) * 1000) / 1000,
      byLevel,
      byArea,
      byState,
    };
  });

  r.add(
    { method: 'GET', url: '/hidden-dangers/:id', summary: '隐患详情: the record, its alarms, history (audit) and photos', tag: 'hidden dangers', access: 'hazard.read', params: idParams },
    ({ params, auth }) => {
      const rec = find(params.id);
      return {
        record: view(rec, auth.user),
        alarms: rec.alarmIds.map((id) => (api.alarms.has(id) ? alarmView(api.points, api.alarms.get(id)) : { alarmId: id, missing: true })),
        history: store.history(rec.id).map((h) => ({ ...h, kindName: TRANSITION_NAMES[h.kind] })),
        photos: store.photos(rec.id).map((p) => ({ id: p.id, phase: p.phase, mime: p.mime, bytes: p.bytes, uploadedBy: p.uploadedBy, ts: p.ts, url: `/api/v1/hidden-dangers/${encodeURIComponent(rec.id)}/photos/${p.id}` })),
      };
    },
  );

  r.add({ method: 'POST', url: '/hidden-dangers', summary: '登记隐患 (by hand; photos follow by upload)', tag: 'hidden dangers', access: 'hazard.register', body: registerInput, response: changeResponse }, ({ body, auth }) => {
    if (!can(auth.user, 'hazard.register', body.area)) throw new ApiError(403, `权限不足 [forbidden]: ${auth.user.name} may not register hidden dangers in area "${body.area}"`, 'body.area');
    const c = act(() => d.loop.register(body, auth.user));
    return { record: view(c.after, auth.user) };
  });

  for (const kind of Object.keys(MOVE_INPUTS) as MoveKind[]) {
    const action = ({ assess: 'hazard.assess', start: 'hazard.rectify', submit: 'hazard.rectify', accept: 'hazard.accept', reject: 'hazard.accept' } as const)[kind];
    r.add(
      { method: 'POST', url: `/hidden-dangers/:id/${kind}`, summary: `${TRANSITION_NAMES[kind]} (${kind})`, tag: 'hidden-danger actions', access: action, params: idParams, body: MOVE_INPUTS[kind], response: changeResponse },
      ({ params, body, auth }) => {
        const c = act(() => d.loop.move(params.id, kind, body, auth.user));
        if (kind === 'submit') d.submitted(c.after.id);
        return { record: view(c.after, auth.user) };
      },
    );
  }

  r.add(
    { method: 'POST', url: '/hidden-dangers/:id/photos', summary: '上传照片 (multipart/form-data, one file; JPEG, PNG or WebP, checked by content; phase=before|after)', tag: 'hidden dangers', access: 'user', params: idParams, query: photoQuery },
    async ({ params, query, auth, req }) => {
      const rec = find(params.id);
      const action = query.phase === 'before' ? 'hazard.register' : 'hazard.rectify';
      if (!can(auth.user, action, rec.area)) throw new ApiError(403, `权限不足 [forbidden]: ${auth.user.name} may not ${action} in area "${rec.area}"`);
      if (rec.state === 'closed') throw new ApiError(409, `隐患已销号，不能再上传照片 [record ${rec.id} is closed]`);
      const cfg = d.config().photos;
      if (store.photos(rec.id).length >= cfg.maxPerRecord) throw new ApiError(409, `照片已达上限 ${cfg.maxPerRecord} 张 [photo limit reached]`);
      if (!req.isMultipart()) throw new ApiError(415, '请以 multipart/form-data 上传照片 [expected multipart/form-data]', 'body');
      const file = await req.file();
      if (!file) throw new ApiError(400, '没有收到文件 [no file in the upload]', 'body.photo');
      let bytes: Buffer;
      try {
        bytes = await file.toBuffer();
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ApiError(413, `照片超过 ${Math.round(cfg.maxBytes / 1024)} KiB 上限 [photo larger than ${cfg.maxBytes} bytes]`, 'body.photo');
        throw err;
      }
      const type = sniffImage(bytes);
      if (!type) throw new ApiError(415, `只接受 JPEG、PNG、WebP 照片 [not a JPEG, PNG or WebP image: ${file.filename.slice(0, 100)}]`, 'body.photo');
      const written = d.photos.write(rec.id, bytes, type);
      let c: Change;
      try {
        c = act(() => d.loop.addPhoto(rec.id, { ...written, recordId: rec.id, phase: query.phase, mime: type.mime, bytes: bytes.length, uploadedBy: auth.user.name, ts: d.now() }, auth.user));
      } catch (err) {
        d.photos.remove(rec.id, written.file);
        throw err;
      }
      return { record: view(c.after, auth.user), photo: { id: written.id, phase: query.phase, mime: type.mime, bytes: bytes.length, url: `/api/v1/hidden-dangers/${encodeURIComponent(rec.id)}/photos/${written.id}` } };
    },
  );

  r.add({ method: 'GET', url: '/hidden-dangers/:id/photos/:photoId', summary: '照片 (only to logged-in users)', tag: 'hidden dangers', access: 'hazard.read', params: photoParams, produces: 'image/*' }, ({ params, reply }) => {
    const p = store.photo(params.id, params.photoId);
    if (!p) throw new ApiError(404, `没有该照片 [no such photo] ${params.photoId}`, 'params.photoId');
    return reply
      .type(p.mime)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'")
      .send(d.photos.read(p.recordId, p.file));
  });
}
