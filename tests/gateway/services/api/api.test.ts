import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, PASSWORD, startPlant, type Plant } from './harness.js';

/**
 * The HTTP API as the console and machine clients meet it: a real gateway polling a Modbus simulator,
 * requests both through fastify's inject and over real HTTP.
 */
describe('API: login, alarms, actions, journal, points', () => {
  let plant: Plant;
  beforeAll(async () => {
    plant = await startPlant();
    plant.setCo(200);
    await plant.waitState('booster.co:HH', 'UNACK');
  }, 60_000);
  afterAll(async () => plant?.stop());

  it('refuses requests without a login, and a wrong password', async () => {
    const anon = new Client(plant.base);
    expect((await anon.get('/api/v1/alarms')).status).toBe(401);
    const bad = await anon.post('/api/v1/auth/login', { name: 'op-gas', password: 'wrong password here' });
    expect(bad.status).toBe(401);
    expect(anon.cookie).toBe('');
    // A device account (MQTT sensor) cannot log in to the console.
    expect((await anon.post('/api/v1/auth/login', { name: 'sensor1', password: PASSWORD })).status).toBe(401);
  });

  it('sets an HttpOnly SameSite=Strict cookie and answers who is logged in', async () => {
    const res = await fetch(`${plant.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'op-gas', password: PASSWORD }) });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^gw_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure'); // no TLS in this test
    const me = (await (await fetch(`${plant.base}/api/v1/auth/me`, { headers: { cookie: cookie.split(';')[0]! } })).json()) as { user: { name: string; role: string }; permissions: string[]; csrfToken: string };
    expect(me.user).toMatchObject({ name: 'op-gas', role: 'operator' });
    expect(me.permissions).toContain('alarm.acknowledge');
    expect(me.permissions).not.toContain('alarm.outOfService');
    expect(me.csrfToken.length).toBeGreaterThan(20);
  });

  it('lists standing alarms sorted by severity with counts, filtered by state, severity, area and text', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const body = (await (await c.get('/api/v1/alarms')).json()) as { alarms: { alarmId: string; severity: number; state: string; pointName: string }[]; counts: { bySeverity: Record<string, number>; byArea: Record<string, number>; unacknowledged: number } };
    expect(body.alarms.map((a) => a.alarmId)).toEqual(['booster.co:HH', 'booster.co:H']);
    expect(body.alarms[0]).toMatchObject({ severity: 3, state: 'UNACK', pointName: '加压机房一氧化碳', basis: 'GB 6222-2005《工业企业煤气安全规程》' });
    // The detail carries the basis too; an alarm whose definition names none has none.
    expect(((await (await c.get('/api/v1/alarms/booster.co:HH')).json()) as { alarm: { basis?: string } }).alarm.basis).toBe('GB 6222-2005《工业企业煤气安全规程》');
    const all = (await (await c.get('/api/v1/alarms?all=true')).json()) as { alarms: { alarmId: string; basis?: string }[] };
    expect(all.alarms.find((a) => a.alarmId === 'dc.hopper_temp:H')!.basis).toBeUndefined();
    expect(body.counts.bySeverity).toMatchObject({ 3: 1, 2: 1 });
    expect(body.counts.byArea).toEqual({ gas: 2 });
    const only = async (q: string) => ((await (await c.get(`/api/v1/alarms?${q}`)).json()) as { alarms: { alarmId: string }[] }).alarms.map((a) => a.alarmId);
    expect(await only('severity=3')).toEqual(['booster.co:HH']);
    expect(await only('area=dust')).toEqual([]);
    expect(await only('text=' + encodeURIComponent('加压机房'))).toHaveLength(2);
    expect(await only('state=ACKED')).toEqual([]);
    // A page: the counts stay those of the whole list.
    const page = (await (await c.get('/api/v1/alarms?limit=1&offset=1')).json()) as { alarms: { alarmId: string }[]; counts: { total: number } };
    expect(page.alarms.map((a) => a.alarmId)).toEqual(['booster.co:H']);
    expect(page.counts.total).toBe(2);
    const bad = await c.get('/api/v1/alarms?severity=9&state=LOUD');
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { fields: { field: string }[] };
    expect(err.fields.map((f) => f.field).sort()).toEqual(['query.severity.0', 'query.state.0']);
  });

  it('acknowledges with the user in the journal and the audit log; a second session sees it', async () => {
    const op = await Client.login(plant.base, 'op-gas');
    const other = await Client.login(plant.base, 'super1');
    const res = await op.post('/api/v1/alarms/acknowledge', { alarmIds: ['booster.co:H'], comment: '已派人巡检' });
    expect(res.status).toBe(200);
    const seen = (await (await other.get('/api/v1/alarms?text=booster.co:H')).json()) as { alarms: { alarmId: string; state: string }[] };
    expect(seen.alarms.find((a) => a.alarmId === 'booster.co:H')!.state).toBe('ACKED');
    const journal = (await (await other.get('/api/v1/journal?alarmId=booster.co:H&kind=ACK')).json()) as { events: { user: string; comment: string; kind: string }[] };
    expect(journal.events[0]).toMatchObject({ user: 'op-gas', comment: '已派人巡检', kind: 'ACK' });
    const eng = await Client.login(plant.base, 'eng1');
    const audit = (await (await eng.get('/api/v1/audit?user=op-gas')).json()) as { entries: { action: string; alarmId: string }[] };
    expect(audit.entries[0]).toMatchObject({ action: 'ACK', alarmId: 'booster.co:H' });
    const security = (await (await eng.get('/api/v1/audit/security?user=op-gas')).json()) as { entries: { action: string }[] };
    expect(security.entries.some((e) => e.action === 'LOGIN')).toBe(true);
  });

  it('shelves only for a listed duration with a reason, and journals assign, silence and comment', async () => {
    const op = await Client.login(plant.app, 'op-gas');
    const noReason = await op.post('/api/v1/alarms/booster.co:HH/shelve', { durationMs: 3_600_000, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('body.reason');
    const oddDuration = await op.post('/api/v1/alarms/booster.co:HH/shelve', { durationMs: 1234, reason: '检修' });
    expect(oddDuration.status).toBe(400);
    expect(((await oddDuration.json()) as { field: string }).field).toBe('body.durationMs');
    expect((await op.post('/api/v1/alarms/booster.co:HH/assign', {})).status).toBe(200);
    expect(plant.gateway.alarms.get('booster.co:HH')).toMatchObject({ assignedTo: 'op-gas', state: 'UNACK' });
    expect((await op.post('/api/v1/alarms/silence', {})).status).toBe(200);
    expect(plant.gateway.alarms.get('booster.co:HH')).toMatchObject({ silenced: true, state: 'UNACK' });
    expect((await op.post('/api/v1/alarms/booster.co:HH/comment', { comment: '风机已启动' })).status).toBe(200);
    const kinds = ((await (await op.get('/api/v1/journal?alarmId=booster.co:HH&limit=10')).json()) as { events: { kind: string }[] }).events.map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['COMMENT', 'SILENCE', 'ASSIGN']);
    expect((await op.post('/api/v1/alarms/no.such:HH/comment', { comment: 'x' })).status).toBe(404);
  });

  it('pages the journal on seq and exports CSV with a BOM and neutralised formulas', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const first = (await (await c.get('/api/v1/journal?limit=2')).json()) as { events: { seq: number }[]; next: number };
    expect(first.events).toHaveLength(2);
    expect(first.events[0]!.seq).toBeGreaterThan(first.events[1]!.seq);
    const second = (await (await c.get(`/api/v1/journal?limit=2&before=${first.next}`)).json()) as { events: { seq: number }[] };
    expect(second.events[0]!.seq).toBeLessThan(first.events[1]!.seq);
    const op = await Client.login(plant.app, 'op-gas');
    await op.post('/api/v1/alarms/booster.co:H/comment', { comment: '=HYPERLINK("http://x")' });
    const csv = await c.get('/api/v1/journal.csv?alarmId=booster.co:H');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await csv.arrayBuffer());
    // The BOM makes Excel read the Chinese as UTF-8.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toBe('seq,time,kind,alarmId,point,condition,severity,state,active,value,limit,unit,message,user,comment');
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toMatch(/\+08:00,ACK,booster\.co:H,/);
  });

  it('serves points with value and quality, and a trend from the local history', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const pts = (await (await c.get('/api/v1/points?area=gas')).json()) as { points: { id: string; value: number; quality: string }[] };
    expect(pts.points.find((p) => p.id === 'booster.co')).toMatchObject({ value: 200, quality: 'Good' });
    expect(pts.points.every((p) => p.id !== 'dc.hopper_temp')).toBe(true);
    const trend = (await (await c.get('/api/v1/points/booster.co/trend')).json()) as { source: string; samples: { value: number }[]; limits: { condition: string; limit: number }[] };
    expect(trend.source).toBe('local');
    expect(trend.samples.at(-1)!.value).toBe(200);
    expect(trend.limits.map((l) => l.limit).sort((a, b) => a - b)).toEqual([24, 160]);
    expect((await c.get('/api/v1/points/nope/trend')).status).toBe(404);
    expect((await c.get('/api/v1/points/booster.co/trend?from=10&to=5')).status).toBe(400);
  });

  it('answers KPIs and the OpenAPI document', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const kpi = (await (await c.get('/api/v1/kpi')).json()) as { total: { annunciated: number; rates: unknown } };
    expect(kpi.total.annunciated).toBeGreaterThanOrEqual(2);
    const doc = (await (await new Client(plant.app).get('/api/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.paths['/api/v1/alarms/{id}/shelve']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: ['durationMs', 'reason'] } } } });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
  });
});
