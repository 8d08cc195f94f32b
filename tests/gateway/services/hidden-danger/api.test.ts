import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HiddenDangerService } from '../../../../gateway/services/hidden-danger/service.js';
import { waitFor } from '../../../helpers/ports.js';
import { Client, PASSWORD, startPlant, type Plant } from '../api/harness.js';

interface Rec {
  id: string;
  state: string;
  area: string;
  dangerLevel: string;
  overdue: boolean;
  mine: boolean;
  alarmIds: string[];
  dangerSrc: string;
  liableRole?: string;
}

let plant: Plant;
const clients: Record<string, Client> = {};

/** The smallest valid images of each type (and a text file pretending to be one). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5240000000049454e44ae426082', 'hex');
const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), Buffer.alloc(64), Buffer.from('ffd9', 'hex')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.from([13, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0])]);

beforeAll(async () => {
  plant = await startPlant({
    hiddenDanger: {
      rules: [{ id: 'co-hh', name: '加压机房CO超高高限持续', match: { alarmId: ['booster.co:HH'] }, when: { kind: 'active', for: '1s' } }],
      responsible: [{ area: 'gas', role: 'operator' }],
      photos: { maxBytes: 4096 },
      checkInterval: '1s',
    },
  });
  for (const name of ['viewer1', 'op-gas', 'op-dust', 'super1', 'eng1', 'admin1']) clients[name] = await Client.login(plant.base, name, PASSWORD);
}, 60_000);
afterAll(async () => {
  await plant?.stop();
});

const json = async <T>(res: Response, status = 200): Promise<T> => {
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body;
};

async function upload(c: Client, id: string, phase: string, bytes: Buffer, name: string, type = 'image/png'): Promise<Response> {
  const form = new FormData();
  form.append('photo', new Blob([new Uint8Array(bytes)], { type }), name);
  return fetch(`${plant.base}/api/v1/hidden-dangers/${id}/photos?phase=${phase}`, { method: 'POST', headers: { cookie: c.cookie, 'x-csrf-token': c.csrf }, body: form });
}

describe('hidden-danger API', () => {
  it('an HH alarm lasting past the rule opens a record that the API lists, with its alarm, and the whole loop runs over HTTP', async () => {
    const svc = plant.gateway.service<HiddenDangerService>('hidden-danger')!;
    plant.setCo(200);
    await plant.waitState('booster.co:HH', 'UNACK');
    await waitFor(() => svc.store.list({ open: true }).length === 1, 10_000, 'dispatched record');
    plant.setCo(0);
    const op = clients['op-gas']!;
    const { records } = await json<{ records: Rec[] }>(await op.get('/api/v1/hidden-dangers?mine=false'));
    expect(records).toHaveLength(1);
    const rec = records[0]!;
    expect(rec).toMatchObject({ state: 'registered', area: 'gas', dangerSrc: 'monitoring', alarmIds: ['booster.co:HH'], liableRole: 'operator', mine: false });
    // The supervisor sees it as theirs to assess.
    expect((await json<{ records: Rec[] }>(await clients.super1!.get('/api/v1/hidden-dangers?mine=true'))).records.map((r) => r.id)).toEqual([rec.id]);

    const detail = await json<{ alarms: { alarmId: string; pointName: string }[]; history: { kind: string; user: string }[] }>(await op.get(`/api/v1/hidden-dangers/${rec.id}`));
    expect(detail.alarms[0]).toMatchObject({ alarmId: 'booster.co:HH', pointName: '加压机房一氧化碳' });
    expect(detail.history.map((h) => [h.kind, h.user])).toEqual([['register', 'system']]);

    // Writes need the CSRF token.
    const noCsrf = await fetch(`${plant.base}/api/v1/hidden-dangers/${rec.id}/assess`, { method: 'POST', headers: { cookie: clients.super1!.cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(noCsrf.status).toBe(403);
    // Validation names the field; a major one needs the 五落实.
    const bad = await json<{ error: string; fields: { field: string }[] }>(await clients.super1!.post(`/api/v1/hidden-dangers/${rec.id}/assess`, { dangerLevel: 'major', dangerManageType: 'deadline', controlMeasures: '停机检修' }), 400);
    expect(bad.fields.map((f) => f.field)).toContain('body.fiveImplementations');
    // Operators may not assess.
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/assess`, { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '检修' }), 403);
    await json(await clients.super1!.post(`/api/v1/hidden-dangers/${rec.id}/assess`, { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '检修煤气管道法兰', liablePerson: 'op-gas' }));
    expect((await json<{ records: Rec[] }>(await op.get('/api/v1/hidden-dangers?mine=true'))).records.map((r) => r.id)).toEqual([rec.id]);
    // An operator of another area may not rectify; the wrong state is a conflict.
    await json(await clients['op-dust']!.post(`/api/v1/hidden-dangers/${rec.id}/start`, {}), 403);
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/submit`, { rectification: 'x' }), 409);
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/start`, {}));
    expect((await upload(op, rec.id, 'after', PNG, 'after.png')).status).toBe(200);
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/submit`, { rectification: '更换法兰垫片' }));
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/accept`, { comment: '自己验收' }), 403);
    await json(await clients.super1!.post(`/api/v1/hidden-dangers/${rec.id}/reject`, { reason: '' }), 400);
    await json(await clients.super1!.post(`/api/v1/hidden-dangers/${rec.id}/reject`, { reason: '仍有泄漏' }));
    await json(await op.post(`/api/v1/hidden-dangers/${rec.id}/submit`, { rectification: '重新紧固，复测合格' }));
    const closed = await json<{ record: Rec }>(await clients.eng1!.post(`/api/v1/hidden-dangers/${rec.id}/accept`, { comment: '同意销号' }));
    expect(closed.record.state).toBe('closed');
    const after = await json<{ history: { kind: string; user: string; beforeState: string | null; afterState: string }[] }>(await op.get(`/api/v1/hidden-dangers/${rec.id}`));
    expect(after.history.map((h) => h.kind)).toEqual(['register', 'assess', 'start', 'photo', 'submit', 'reject', 'submit', 'accept']);
    // Closed records leave the default list, stay in all=true.
    expect((await json<{ records: Rec[] }>(await op.get('/api/v1/hidden-dangers'))).records.find((r) => r.id === rec.id)).toBeUndefined();
    expect((await json<{ records: Rec[] }>(await op.get('/api/v1/hidden-dangers?all=true'))).records.find((r) => r.id === rec.id)?.state).toBe('closed');
  }, 60_000);

  it('registration by hand is area scoped; filters and statistics', async () => {
    const body = { dangerName: '二层平台护栏缺失', dangerDesc: '巡检发现东侧护栏缺失约 2 米', area: 'dust', equipment: '1#除尘器' };
    await json(await clients['op-gas']!.post('/api/v1/hidden-dangers', body), 403);
    await json(await clients.viewer1!.post('/api/v1/hidden-dangers', body), 403);
    const { record } = await json<{ record: Rec }>(await clients['op-dust']!.post('/api/v1/hidden-dangers', body));
    expect(record).toMatchObject({ state: 'registered', dangerSrc: 'daily', dangerLevel: 'general', area: 'dust' });
    await json(await clients['op-dust']!.post('/api/v1/hidden-dangers', { ...body, dangerSrc: 'monitoring' }), 400);
    await json(await clients['op-dust']!.post('/api/v1/hidden-dangers', { ...body, dangerLevel: 'major', dangerName: '除尘器无泄爆装置' }));
    const dust = await json<{ records: Rec[] }>(await clients.viewer1!.get('/api/v1/hidden-dangers?area=dust'));
    expect(dust.records).toHaveLength(2);
    expect((await json<{ records: Rec[] }>(await clients.viewer1!.get('/api/v1/hidden-dangers?level=major'))).records).toHaveLength(1);
    expect((await json<{ records: Rec[] }>(await clients.viewer1!.get('/api/v1/hidden-dangers?state=registered,assessed'))).records).toHaveLength(2);
    expect((await json<{ records: Rec[] }>(await clients.viewer1!.get('/api/v1/hidden-dangers?overdue=true'))).records).toHaveLength(0);
    await json(await clients.viewer1!.get('/api/v1/hidden-dangers?state=nonsense'), 400);
    const stats = await json<{ open: number; overdue: number; closedThisMonth: number; averageHoursToClose: number | null; byLevel: Record<string, { open: number }>; byArea: Record<string, { open: number; closedThisMonth: number }> }>(await clients.viewer1!.get('/api/v1/hidden-dangers/stats'));
    expect(stats).toMatchObject({ open: 2, overdue: 0, closedThisMonth: 1 });
    expect(stats.averageHoursToClose).not.toBeNull();
    expect(stats.byLevel.major!.open).toBe(1);
    expect(stats.byArea.dust!.open).toBe(2);
    expect(stats.byArea.gas!.closedThisMonth).toBe(1);
    // Not logged in: nothing.
    expect((await fetch(`${plant.base}/api/v1/hidden-dangers`)).status).toBe(401);
  });

  it('photos: JPEG, PNG and WebP by content; other types, oversize and other areas refused; served only to logged-in users', async () => {
    const { record } = await json<{ record: Rec }>(await clients['op-dust']!.post('/api/v1/hidden-dangers', { dangerName: '灰斗检修门密封损坏', dangerDesc: '漏灰', area: 'dust' }));
    const op = clients['op-dust']!;
    const ok: { photo: { id: string; url: string; mime: string } }[] = [];
    for (const [bytes, name] of [
      [JPEG, 'a.jpg'],
      [PNG, 'b.png'],
      [WEBP, 'c.webp'],
    ] as const) {
      ok.push(await json(await upload(op, record.id, 'before', bytes, name)));
    }
    expect(ok.map((o) => o.photo.mime)).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    // A script named .png, declared image/png: refused by its content.
    const fake = await upload(op, record.id, 'before', Buffer.from('<script>alert(1)</script>'), 'evil.png', 'image/png');
    expect(fake.status).toBe(415);
    // Larger than photos.maxBytes (4 KiB here).
    const big = await upload(op, record.id, 'before', Buffer.concat([PNG, Buffer.alloc(8192)]), 'big.png');
    expect(big.status).toBe(413);
    // Another area's operator may not add photos.
    expect((await upload(clients['op-gas']!, record.id, 'before', PNG, 'x.png')).status).toBe(403);
    // Without the CSRF token: refused.
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(PNG)]), 'x.png');
    expect((await fetch(`${plant.base}/api/v1/hidden-dangers/${record.id}/photos`, { method: 'POST', headers: { cookie: op.cookie }, body: form })).status).toBe(403);

    const detail = await json<{ photos: { id: string; phase: string; url: string }[] }>(await clients.viewer1!.get(`/api/v1/hidden-dangers/${record.id}`));
    expect(detail.photos).toHaveLength(3);
    const served = await fetch(plant.base + ok[1]!.photo.url, { headers: { cookie: clients.viewer1!.cookie } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await fetch(plant.base + ok[1]!.photo.url)).status).toBe(401);
  });

  it('an overdue record is an alarm in the alarm console, and it clears when the record is submitted', async () => {
    expect(plant.gateway.alarms.get('hidden-danger:OVERDUE').state).toBe('NORMAL');
    const { record } = await json<{ record: Rec }>(await clients['op-gas']!.post('/api/v1/hidden-dangers', { dangerName: '煤气管道支架锈蚀', dangerDesc: '3 号支架锈蚀严重', area: 'gas' }));
    await json(await clients.super1!.post(`/api/v1/hidden-dangers/${record.id}/assess`, { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '除锈补漆', deadline: Date.now() + 1500 }));
    await json(await clients['op-gas']!.post(`/api/v1/hidden-dangers/${record.id}/start`, {}));
    await plant.waitState('hidden-danger:OVERDUE', 'UNACK');
    const { alarms } = await json<{ alarms: { alarmId: string; message: string; severity: number }[] }>(await clients['op-gas']!.get('/api/v1/alarms'));
    const overdue = alarms.find((a) => a.alarmId === 'hidden-danger:OVERDUE')!;
    expect(overdue.severity).toBe(2);
    expect(overdue.message).toContain(record.id);
    expect((await json<{ records: Rec[] }>(await clients['op-gas']!.get('/api/v1/hidden-dangers?overdue=true'))).records.map((r) => r.id)).toEqual([record.id]);
    // Escalated to the supervisors at once (the default chain's first stage).
    await waitFor(async () => (await json<{ records: Rec[] }>(await clients.super1!.get('/api/v1/hidden-dangers?mine=true'))).records.some((r) => r.id === record.id), 5000, 'escalated to supervisor');
    await json(await clients['op-gas']!.post(`/api/v1/hidden-dangers/${record.id}/submit`, { rectification: '已除锈补漆' }));
    await plant.waitState('hidden-danger:OVERDUE', 'RTN_UNACK');
  }, 30_000);

  it('every hidden-danger endpoint refuses anonymous requests, and every write refuses a viewer', async () => {
    const doc = (await (await fetch(`${plant.base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const id = (await json<{ records: Rec[] }>(await clients.viewer1!.get('/api/v1/hidden-dangers?all=true'))).records[0]!.id;
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/hidden-dangers')) continue;
      const url = path.replace('{id}', id).replace('{photoId}', '00000000-0000-4000-8000-000000000000');
      for (const method of Object.keys(ops)) {
        const anon = await fetch(plant.base + url, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, ...(method === 'get' ? {} : { body: '{}' }) });
        expect(anon.status, `${method} ${path}`).toBe(401);
        if (method !== 'get') expect((await clients.viewer1!.request(method.toUpperCase(), url, {})).status, `viewer ${method} ${path}`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBe(11);
  });

  it('is in the OpenAPI document with its role requirements', async () => {
    const doc = await json<{ paths: Record<string, Record<string, { 'x-required-action'?: string }>> }>(await fetch(`${plant.base}/api/v1/openapi.json`));
    expect(doc.paths['/api/v1/hidden-dangers/{id}/accept']!.post!['x-required-action']).toBe('hazard.accept');
    expect(doc.paths['/api/v1/hidden-dangers']!.post!['x-required-action']).toBe('hazard.register');
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/hidden-dangers'))).toHaveLength(10);
  });
});
