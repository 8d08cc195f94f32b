import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlarmManager, MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { ControlServer, handleControl } from '../../../gateway/control/server.js';
import { controlResponseSchema, type ControlResponse } from '../../../gateway/control/protocol.js';
import { sendControl } from '../../../gateway/control/client.js';
import { consoleLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { BoundedLineReader } from '../../../gateway/control/line-reader.js';
import { parseControlLine } from '../../../gateway/control/server.js';
import { OsUserLinks } from '../../../gateway/auth/os-user-links.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { openDatabase } from '../../../gateway/store/database.js';
import type { ControlActor } from '../../../gateway/control/os-actor.js';

function manager(): AlarmManager {
  return new AlarmManager({
    definitions: [{ alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, label: '高高报', limit: 160, ruleId: 'co:limits' }],
    pointInfo: () => ({ name: '加压机房一氧化碳', unit: 'ppm', equipment: '煤气加压机房', area: 'gas' }),
    journal: new MemoryJournal(),
    maxShelveMs: 3_600_000,
  });
}

/** A raw connection that collects answer lines. */
function rawClient(path: string): Promise<{ sock: Socket; answers: ControlResponse[]; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const answers: ControlResponse[] = [];
    let buf = '';
    let isClosed = false;
    const sock = connect(path, () => resolve({ sock, answers, closed: () => isClosed }));
    sock.on('error', reject);
    sock.on('close', () => (isClosed = true));
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        answers.push(controlResponseSchema.parse(JSON.parse(buf.slice(0, nl))));
        buf = buf.slice(nl + 1);
      }
    });
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('control socket under oversized and forged input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ctl-'));
  const metrics = new Metrics();
  const log: string[] = [];
  const alarms = manager();
  const db = openDatabase(join(dir, 'gateway.db'));
  // The test runs as root, which control.trustedOsUsers trusts by default.
  const server = new ControlServer(join(dir, 'control.sock'), {
    alarms,
    operatorMaxShelveMs: 3_600_000,
    log: consoleLogger('info', 'control', (l) => log.push(l)),
    metrics,
    links: new OsUserLinks(db),
    users: new UserStore(db),
    trustedOsUsers: new Set(['root']),
    maxLineBytes: 16 * 1024,
  });

  beforeAll(() => server.start());
  afterAll(async () => {
    await server.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a 64 MB line with an error answer, counts it, and keeps serving the same connection', async () => {
    const c = await rawClient(join(dir, 'control.sock'));
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 64; i++) if (!c.sock.write(chunk)) await new Promise((r) => c.sock.once('drain', r));
    c.sock.write('\n' + JSON.stringify({ op: 'hello' }) + '\n');
    await until(() => c.answers.length >= 2, 'two answers');
    expect(c.answers[0]).toEqual({ ok: false, error: 'request line longer than 16384 bytes, refused' });
    expect(c.answers[1]).toMatchObject({ ok: true, challenge: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(metrics.counter('control_lines_too_long')).toBe(1);
    // The line was dropped as it came, not held (generous: the test process itself allocates too).
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    c.sock.end();
  }, 60_000);

  it('refuses a 20 MB operator comment and an over-long reason before they reach the journal', async () => {
    const long = await sendControl(dir, { op: 'comment', alarmId: 'co:HH', comment: '长'.repeat(501) });
    expect(long).toEqual({ ok: false, error: expect.stringContaining('comment is longer than 500 characters') });
    const shelve = await sendControl(dir, { op: 'shelve', alarmId: 'co:HH', reason: 'x'.repeat(600) });
    expect(shelve).toEqual({ ok: false, error: expect.stringContaining('reason is longer than 500 characters') });
    const ok = await sendControl(dir, { op: 'comment', alarmId: 'co:HH', comment: '已通知班长'.repeat(50) });
    expect(ok.ok).toBe(true);
  });

  it('answers every line of random bytes with a well-formed answer and counts every refusal (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ op: 'ack', alarmId: v, user: v }))), { minLength: 1, maxLength: 8 }), async (lines) => {
        const clean = lines.map((l) => l.replace(/[\n]/g, ' '));
        const before = metrics.counter('control_requests_rejected');
        const c = await rawClient(join(dir, 'control.sock'));
        c.sock.write(clean.map((l) => l + '\n').join(''));
        await until(() => c.answers.length >= clean.length, `${clean.length} answers`);
        const refused = c.answers.filter((a) => !a.ok).length;
        expect(metrics.counter('control_requests_rejected') - before).toBe(refused);
        c.sock.end();
      }),
      { numRuns: 40 },
    );
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: the log must carry no raw ESC or CR from client input
    for (const l of log) expect(l).not.toMatch(/[\x1b\r]/);
  }, 120_000);

  it('handleControl never throws, whatever the line (property)', () => {
    const m = manager();
    const actor: ControlActor = { peer: { uid: 1000, osUser: 'op' }, principal: { name: 'op', role: 'operator', areas: ['gas'] }, auditName: 'op (os:op)' };
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.record({ op: fc.constantFrom('ack', 'shelve', 'comment', 'list', 'ackArea'), alarmId: fc.string(), user: fc.string(), comment: fc.string(), reason: fc.string(), duration: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: ['op'] }).map((r) => JSON.stringify(r))), (line) => {
        const parsed = parseControlLine(line);
        const res = parsed.ok ? handleControl({ alarms: m, operatorMaxShelveMs: 3_600_000 }, actor, parsed.request) : parsed;
        expect(controlResponseSchema.safeParse(res).success).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('the line reader drops an over-long line however it is split into chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('\n'), fc.string({ maxLength: 40 })), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }), (parts, cuts) => {
        const text = parts.join('');
        const max = 32;
        const all = text.split('\n');
        // Complete lines are answered; an unfinished last line only once it is already too long.
        const expected = all.slice(0, -1).map((l) => (Buffer.byteLength(l) > max ? null : l));
        if (Buffer.byteLength(all.at(-1)!) > max) expected.push(null);
        const got: (string | null)[] = [];
        const reader = new BoundedLineReader(max, (l) => got.push(l), () => got.push(null));
        const bytes = Buffer.from(text);
        for (let i = 0, k = 0; i < bytes.length; k++) {
          const n = cuts[k % cuts.length]!;
          reader.push(bytes.subarray(i, i + n));
          i += n;
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
