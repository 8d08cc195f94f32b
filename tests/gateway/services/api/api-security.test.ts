import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can } from '../../../../gateway/auth/permissions.js';
import { openDatabase } from '../../../../gateway/store/database.js';
import { Client, PASSWORD, startPlant, USERS, type Plant } from './harness.js';

type Call = { action: string; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown; undo?: { path: string; body: unknown } };

/** Every action of the API on an alarm of area "gas" (booster.co, CO HH active). */
const CALLS: Call[] = [
  { action: 'alarms.read', method: 'GET', path: '/api/v1/alarms' },
  { action: 'journal.read', method: 'GET', path: '/api/v1/journal' },
  { action: 'journal.read (csv)', method: 'GET', path: '/api/v1/journal.csv' },
  { action: 'points.read', method: 'GET', path: '/api/v1/points' },
  { action: 'points.read (trend)', method: 'GET', path: '/api/v1/points/booster.co/trend' },
  { action: 'kpi.read', method: 'GET', path: '/api/v1/kpi' },
  { action: 'audit.read', method: 'GET', path: '/api/v1/audit' },
  { action: 'audit.read (security)', method: 'GET', path: '/api/v1/audit/security' },
  { action: 'users.manage', method: 'GET', path: '/api/v1/users' },
  { action: 'tokens.manage', method: 'GET', path: '/api/v1/tokens' },
  { action: 'alarm.acknowledge', method: 'POST', path: '/api/v1/alarms/acknowledge', body: { alarmIds: ['booster.co:HH'] } },
  { action: 'alarm.acknowledge (area)', method: 'POST', path: '/api/v1/alarms/acknowledge', body: { area: 'gas' } },
  { action: 'alarm.comment', method: 'POST', path: '/api/v1/alarms/booster.co:HH/comment', body: { comment: '巡检' } },
  { action: 'alarm.assign', method: 'POST', path: '/api/v1/alarms/booster.co:HH/assign', body: {} },
  { action: 'alarm.silence', method: 'POST', path: '/api/v1/alarms/silence', body: { alarmIds: ['booster.co:HH'] } },
  { action: 'alarm.shelve', method: 'POST', path: '/api/v1/alarms/booster.co:HH/shelve', body: { durationMs: 3_600_000, reason: '检修' }, undo: { path: '/api/v1/alarms/booster.co:HH/unshelve', body: {} } },
  { action: 'alarm.shelve.extended', method: 'POST', path: '/api/v1/alarms/booster.co:HH/shelve', body: { durationMs: 4 * 3_600_000, reason: '检修' }, undo: { path: '/api/v1/alarms/booster.co:HH/unshelve', body: {} } },
  { action: 'alarm.outOfService', method: 'POST', path: '/api/v1/alarms/booster.co:HH/out-of-service', body: { reason: '传感器更换' }, undo: { path: '/api/v1/alarms/booster.co:HH/return-to-service', body: {} } },
];

/** Who may do what, as the issue gives it: written out, not derived from the code under test. */
const ALLOWED: Record<string, readonly string[]> = {
  viewer1: ['alarms.read', 'journal.read', 'journal.read (csv)', 'points.read', 'points.read (trend)', 'kpi.read'],
  // op-gas acts in area gas; op-dust reads everything but acts on nothing of gas.
  'op-gas': ['alarms.read', 'journal.read', 'journal.read (csv)', 'points.read', 'points.read (trend)', 'kpi.read', 'alarm.acknowledge', 'alarm.acknowledge (area)', 'alarm.comment', 'alarm.assign', 'alarm.silence', 'alarm.shelve'],
  'op-dust': ['alarms.read', 'journal.read', 'journal.read (csv)', 'points.read', 'points.read (trend)', 'kpi.read'],
  super1: ['alarms.read', 'journal.read', 'journal.read (csv)', 'points.read', 'points.read (trend)', 'kpi.read', 'alarm.acknowledge', 'alarm.acknowledge (area)', 'alarm.comment', 'alarm.assign', 'alarm.silence', 'alarm.shelve', 'alarm.shelve.extended', 'alarm.outOfService'],
  eng1: ['alarms.read', 'journal.read', 'journal.read (csv)', 'points.read', 'points.read (trend)', 'kpi.read', 'audit.read', 'audit.read (security)', 'alarm.comment'],
  admin1: CALLS.map((c) => c.action),
};

describe('API security', () => {
  let plant: Plant;
  beforeAll(async () => {
    plant = await startPlant({ http: { bodyLimit: 64 * 1024 } });
    plant.setCo(200);
    await plant.waitState('booster.co:HH', 'UNACK');
  }, 60_000);
  afterAll(async () => plant?.stop());

  it('checks every role against every action (allowed, or 403), on the server', async () => {
    const admin = await Client.login(plant.app, 'admin1');
    const outcome: Record<string, Record<string, number>> = {};
    for (const user of Object.keys(ALLOWED)) {
      const c = await Client.login(plant.app, user);
      outcome[user] = {};
      for (const call of CALLS) {
        const res = await c.request(call.method, call.path, call.body);
        outcome[user][call.action] = res.status;
        if (res.status === 200 && call.undo) expect((await admin.post(call.undo.path, call.undo.body)).status).toBe(200);
      }
    }
    const expected = Object.fromEntries(Object.entries(ALLOWED).map(([user, allowed]) => [user, Object.fromEntries(CALLS.map((c) => [c.action, allowed.includes(c.action) ? 200 : 403]))]));
    expect(outcome).toEqual(expected);
    // The table agrees with the one the page uses to hide buttons.
    const op = USERS.find((u) => u.name === 'op-gas')!;
    expect(can({ ...op }, 'alarm.acknowledge', 'dust')).toBe(false);
  });

  it('refuses a cookie-authenticated write without the CSRF token, or with another session’s', async () => {
    const a = await Client.login(plant.base, 'op-gas');
    const b = await Client.login(plant.base, 'op-gas');
    const token = a.csrf;
    a.csrf = '';
    const none = await a.post('/api/v1/alarms/booster.co:H/comment', { comment: 'x' });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { field: string }).field).toBe('header.x-csrf-token');
    a.csrf = b.csrf;
    expect((await a.post('/api/v1/alarms/booster.co:H/comment', { comment: 'x' })).status).toBe(403);
    a.csrf = token;
    expect((await a.post('/api/v1/alarms/booster.co:H/comment', { comment: 'x' })).status).toBe(200);
    // Reads need no token.
    a.csrf = '';
    expect((await a.get('/api/v1/alarms')).status).toBe(200);
  });

  it('ends sessions at logout, after the idle timeout and after the absolute timeout', async () => {
    const c = await Client.login(plant.base, 'viewer1');
    const cookie = c.cookie;
    expect((await c.post('/api/v1/auth/logout')).status).toBe(200);
    const replay = new Client(plant.base);
    replay.cookie = cookie;
    expect((await replay.get('/api/v1/alarms')).status).toBe(401);

    // Age sessions in the database as time would (30 min idle, 12 h absolute by default).
    const db = openDatabase(join(plant.dir, 'data', 'gateway.db'));
    try {
      const idle = await Client.login(plant.base, 'viewer1');
      expect((await idle.get('/api/v1/alarms')).status).toBe(200);
      db.prepare("UPDATE sessions SET last_seen = last_seen - 31 * 60000 WHERE user = 'viewer1'").run();
      const r1 = await idle.get('/api/v1/alarms');
      expect(r1.status).toBe(401);
      expect(((await r1.json()) as { error: string }).error).toContain('会话已过期');

      const busy = await Client.login(plant.base, 'viewer1');
      db.prepare("UPDATE sessions SET created_at = created_at - 12 * 3600000 - 1000 WHERE user = 'viewer1'").run();
      expect((await busy.get('/api/v1/alarms')).status).toBe(401);
    } finally {
      db.close();
    }
  });

  it('rate-limits failed logins per user name, even for the right password afterwards', async () => {
    const c = new Client(plant.base);
    for (let i = 0; i < 5; i++) expect((await c.post('/api/v1/auth/login', { name: 'eng1', password: `wrong-${i}-password` })).status).toBe(401);
    const blocked = await c.post('/api/v1/auth/login', { name: 'eng1', password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is not locked out by it.
    expect((await c.post('/api/v1/auth/login', { name: 'viewer1', password: PASSWORD })).status).toBe(200);
    const admin = await Client.login(plant.base, 'admin1');
    const audit = (await (await admin.get('/api/v1/audit/security?user=eng1')).json()) as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action)).toContain('LOGIN_THROTTLED');
  });

  it('accepts revocable API tokens (Bearer) without CSRF, acting as their user', async () => {
    const admin = await Client.login(plant.base, 'admin1');
    const created = await admin.post('/api/v1/tokens', { user: 'op-gas', label: 'DCS 联锁接口' });
    expect(created.status).toBe(201);
    const { token, info } = (await created.json()) as { token: string; info: { id: string } };
    const bearer = (method: string, path: string, body?: unknown) =>
      fetch(plant.base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect((await bearer('POST', '/api/v1/alarms/booster.co:H/comment', { comment: '来自接口' })).status).toBe(200);
    expect(plant.gateway.alarms.latestEvents().find((e) => e.alarmId === 'booster.co:H')!.user).toBe('op-gas');
    expect((await bearer('GET', '/api/v1/users')).status).toBe(403);
    // Only a hash is stored.
    const db = openDatabase(join(plant.dir, 'data', 'gateway.db'));
    try {
      const row = db.prepare('SELECT hash FROM api_tokens WHERE id = ?').get(info.id) as { hash: string };
      expect(token).not.toContain(row.hash);
      expect(JSON.stringify(db.prepare('SELECT * FROM api_tokens').all())).not.toContain(token.split('_')[2]!);
    } finally {
      db.close();
    }
    expect((await admin.request('DELETE', `/api/v1/tokens/${info.id}`)).status).toBe(200);
    expect((await bearer('GET', '/api/v1/alarms')).status).toBe(401);
  });

  it('serves only the console’s own files: no path traversal', async () => {
    for (const path of ['/console/../package.json', '/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/etc/passwd', '/..%2fpackage.json', '/console/app.js/../../../etc/passwd', '/console/web/main.ts']) {
      const res = await fetch(plant.base + path);
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text).not.toContain('"dependencies"');
      expect(text).not.toContain('root:');
    }
    const page = await fetch(plant.base + '/');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('报警控制台');
  });

  it('answers oversized and malformed bodies with 4xx naming the problem, never 500', async () => {
    const c = await Client.login(plant.base, 'op-gas');
    const send = (body: string, type = 'application/json') => fetch(`${plant.base}/api/v1/alarms/acknowledge`, { method: 'POST', headers: { cookie: c.cookie, 'x-csrf-token': c.csrf, 'content-type': type }, body });
    expect((await send('x'.repeat(100 * 1024))).status).toBe(413);
    const broken = await send('{"alarmIds": [');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/JSON/i);
    expect((await send('alarmIds=booster.co:H', 'application/x-www-form-urlencoded')).status).toBe(415);
    const wrongType = await send(JSON.stringify({ alarmIds: 'booster.co:H' }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('body.alarmIds');
    const both = await send(JSON.stringify({ alarmIds: ['booster.co:H'], area: 'gas' }));
    expect(both.status).toBe(400);
    const extra = await send(JSON.stringify({ alarmIds: ['booster.co:H'], sneaky: 1 }));
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: string }).error).toContain('sneaky');
    expect((await fetch(`${plant.base}/api/v1/journal?before=abc&limit=100000`, { headers: { cookie: c.cookie } })).status).toBe(400);
    expect((await fetch(`${plant.base}/api/v1/nope`, { headers: { cookie: c.cookie } })).status).toBe(404);
  });

  it('replays missed events over SSE from Last-Event-ID, with ids equal to journal seqs', async () => {
    const c = await Client.login(plant.base, 'viewer1');
    const read = async (lastEventId: number, want: number): Promise<number[]> => {
      const ctl = new AbortController();
      const res = await fetch(`${plant.base}/api/v1/events`, { headers: { cookie: c.cookie, 'last-event-id': String(lastEventId) }, signal: ctl.signal });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const ids: number[] = [];
      while (ids.length < want) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        ids.length = 0;
        for (const m of text.matchAll(/^id: (\d+)\nevent: alarm$/gm)) ids.push(Number(m[1]));
      }
      ctl.abort();
      return ids;
    };
    const seqNow = Math.max(...plant.gateway.alarms.latestEvents().map((e) => e.seq));
    // Three events happen while the client is away.
    plant.gateway.alarms.comment('booster.co:H', 'tester', '一');
    plant.gateway.alarms.comment('booster.co:H', 'tester', '二');
    plant.gateway.alarms.comment('booster.co:H', 'tester', '三');
    expect(await read(seqNow, 3)).toEqual([seqNow + 1, seqNow + 2, seqNow + 3]);
  });
});
