import { execFile } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { OsUserLinks } from '../../../gateway/auth/os-user-links.js';
import { SecurityAudit } from '../../../gateway/auth/security-audit.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { controlSession, sendControl } from '../../../gateway/control/client.js';
import { OsUserNames, ProofDir, ProofRefused } from '../../../gateway/control/peer-identity.js';
import { ControlServer } from '../../../gateway/control/server.js';
import { consoleLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const run = promisify(execFile);
const NOBODY = 65534;
const NOGROUP = 65534;
const isRoot = process.getuid?.() === 0;

function manager(journal: MemoryJournal): AlarmManager {
  const areas: Record<string, string> = { co: 'gas', bf: 'furnace' };
  return new AlarmManager({
    definitions: [
      { alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, label: '高高报', limit: 160, ruleId: 'co:limits' },
      { alarmId: 'co:H', point: 'co', condition: 'H', severity: 2, label: '高报', limit: 24, ruleId: 'co:limits' },
      { alarmId: 'bf:HH', point: 'bf', condition: 'HH', severity: 4, label: '高高报', limit: 250, ruleId: 'bf:limits' },
    ],
    pointInfo: (point) => ({ name: point, unit: 'ppm', equipment: point, area: areas[point] ?? 'gas' }),
    journal,
    maxShelveMs: 8 * 3_600_000,
  });
}

/**
 * The gateway is this (root) process; the CLI side runs as the OS user `nobody`, a real second
 * account, so the uid the gateway finds is the kernel's, not ours.
 */
describe.runIf(isRoot)('control socket: the gateway names the OS user behind the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-osid-'));
  const socket = join(dir, 'control.sock');
  const db = openDatabase(join(dir, 'gateway.db'));
  const users = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
  const links = new OsUserLinks(db);
  const audit = new SecurityAudit(db);
  const journal = new MemoryJournal();
  const alarms = manager(journal);
  const metrics = new Metrics();
  const trusted = new Set(['root']);
  const server = new ControlServer(socket, {
    alarms,
    operatorMaxShelveMs: 2 * 3_600_000,
    log: consoleLogger('error', 'control', () => undefined),
    metrics,
    links,
    users,
    audit,
    trustedOsUsers: trusted,
    gid: NOGROUP,
  });

  /** One control session run as `nobody`. */
  async function asNobody(requests: unknown[]): Promise<{ identity?: { osUser: string; user: string; auditName: string }; answers?: { ok: boolean; error?: string }[]; error?: string }> {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/gateway/control/control-client-script.ts', JSON.stringify({ dataDir: dir, socket, requests })], {
      cwd: REPO_ROOT,
      uid: NOBODY,
      gid: NOGROUP,
      env: { ...process.env, HOME: '/tmp' },
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Awaited<ReturnType<typeof asNobody>>;
  }

  beforeAll(async () => {
    // nobody may traverse the directory; the socket (0660) and proof directory (1730) are root:nogroup.
    chmodSync(dir, 0o711);
    await server.start();
    for (const [id, v, ts] of [['co:HH', 200, 1000], ['co:H', 200, 1000], ['bf:HH', 300, 1000]] as const) alarms.apply({ alarmId: id, active: true, value: v, ts });
    await users.add({ name: 'zhang', password: 'correct horse battery', role: 'operator', areas: ['gas'] });
    await users.add({ name: 'wang', password: 'correct horse battery', role: 'supervisor', areas: ['*'] });
  });
  afterAll(async () => {
    await server.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an OS user linked to no gateway user, and audits the refusal', async () => {
    const res = await asNobody([{ op: 'list' }]);
    expect(res.error).toMatch(/OS user "nobody" is not linked to a gateway user.*users link-os nobody/);
    expect(audit.list({ limit: 10 })).toContainEqual(expect.objectContaining({ user: 'os:nobody', action: 'control.identify', ok: false }));
    expect(metrics.counter('control_identify_refused')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('acts as the linked gateway user, with its role and areas, and journals the OS user', async () => {
    links.link('nobody', 'zhang');
    const res = await asNobody([
      { op: 'ack', alarmId: 'co:HH', comment: '已派人检查' },
      { op: 'ack', alarmId: 'bf:HH' }, // another area
      { op: 'outOfService', alarmId: 'co:H', reason: '检修' }, // a supervisor's action
      { op: 'shelve', alarmId: 'co:H', reason: '检修', duration: '4h' }, // beyond the operator's 2 h
      { op: 'shelve', alarmId: 'co:H', reason: '检修', duration: '30m' },
    ]);
    expect(res.identity).toMatchObject({ osUser: 'nobody', user: 'zhang', auditName: 'zhang (os:nobody)' });
    const [ack, otherArea, oos, longShelve, shelve] = res.answers!;
    expect(ack).toMatchObject({ ok: true });
    expect(otherArea).toEqual({ ok: false, error: expect.stringMatching(/权限不足.*zhang \(operator\) may not alarm.acknowledge in area "furnace"/) });
    expect(oos).toEqual({ ok: false, error: expect.stringContaining('may not alarm.outOfService') });
    expect(longShelve).toEqual({ ok: false, error: expect.stringContaining('may not alarm.shelve.extended') });
    expect(shelve).toMatchObject({ ok: true });
    expect(alarms.get('bf:HH').state).toBe('UNACK');
    expect(journal.audits.map((a) => [a.action, a.user, a.alarmId])).toEqual([
      ['ACK', 'zhang (os:nobody)', 'co:HH'],
      ['SHELVE', 'zhang (os:nobody)', 'co:H'],
    ]);
  }, 60_000);

  it('ignores nobody’s claim to be someone else: a request naming a user is refused', async () => {
    const before = journal.audits.length;
    const res = await asNobody([{ op: 'ack', alarmId: 'bf:HH', user: 'wang' }]);
    expect(res.identity?.user).toBe('zhang');
    expect(res.answers![0]).toEqual({ ok: false, error: expect.stringMatching(/^user: not accepted/) });
    expect(journal.audits.length).toBe(before);
    expect(alarms.get('bf:HH').state).toBe('UNACK');
  }, 60_000);

  it('a link to a disabled user grants nothing; relinking to a supervisor widens what the CLI may do', async () => {
    users.update('zhang', { disabled: true });
    expect((await asNobody([{ op: 'list' }])).error).toMatch(/linked to gateway user "zhang", which is disabled/);
    links.link('nobody', 'wang');
    const res = await asNobody([{ op: 'ack', alarmId: 'bf:HH' }]);
    expect(res.answers![0]).toMatchObject({ ok: true });
    expect(journal.audits.at(-1)).toMatchObject({ action: 'ACK', user: 'wang (os:nobody)', alarmId: 'bf:HH' });
  }, 60_000);

  it('root, trusted by control.trustedOsUsers, acts as os:root; untrusted and unlinked it is refused', async () => {
    const ok = await controlSession(dir, [{ op: 'comment', alarmId: 'co:HH', comment: '交接班' }], { socket });
    expect(ok.identity).toMatchObject({ osUser: 'root', user: 'os:root', role: 'admin', auditName: 'os:root' });
    expect(journal.audits.at(-1)).toMatchObject({ action: 'COMMENT', user: 'os:root' });
    trusted.delete('root');
    try {
      expect(await sendControl(dir, { op: 'list' }, { socket })).toEqual({ ok: false, error: expect.stringContaining('OS user "root" is not linked') });
    } finally {
      trusted.add('root');
    }
  });

  it('requests before identification are refused', async () => {
    const { connect } = await import('node:net');
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(socket, () => s.write(JSON.stringify({ op: 'list' }) + '\n'));
      s.on('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(JSON.parse(answer)).toEqual({ ok: false, error: expect.stringContaining('not identified') });
  });
});

describe.runIf(isRoot)('the proof file: only a fresh file of the claimed owner holding the challenge passes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-proof-'));
  const proof = new ProofDir(join(dir, 'p'));
  beforeAll(() => proof.prepare());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fresh = () => proof.challenge();

  it('names the file’s owner (a file nobody made names nobody)', async () => {
    const c = fresh();
    const f = join(proof.path, c.challenge);
    writeFileSync(f, c.challenge, { mode: 0o600 });
    chownSync(f, NOBODY, NOGROUP);
    await expect(proof.verify(c.challenge, c.issuedAt)).resolves.toEqual({ uid: NOBODY, osUser: 'nobody' });
  });

  it('refuses a missing file, wrong content, a writable file, a hard link, a symlink and a stale challenge', async () => {
    const other = join(dir, 'victim');
    writeFileSync(other, 'x', { mode: 0o600 });
    chownSync(other, NOBODY, NOGROUP);
    const cases: [string, (file: string, challenge: string) => void, RegExp][] = [
      ['missing', () => undefined, /no proof file/],
      ['content', (f) => writeFileSync(f, 'something else', { mode: 0o600 }), /does not hold the challenge/],
      ['writable', (f, ch) => (writeFileSync(f, ch), chmodSync(f, 0o666)), /writable by others/],
      ['hard link', (f, ch) => (writeFileSync(other, ch), linkSync(other, f)), /other links/],
      ['symlink', (f) => symlinkSync(other, f), /no proof file \(ELOOP\)/],
    ];
    for (const [what, make, error] of cases) {
      const c = fresh();
      make(join(proof.path, c.challenge), c.challenge);
      await expect(proof.verify(c.challenge, c.issuedAt), what).rejects.toThrow(error);
    }
    const c = fresh();
    writeFileSync(join(proof.path, c.challenge), c.challenge, { mode: 0o600 });
    await expect(proof.verify(c.challenge, c.issuedAt - 60_000)).rejects.toBeInstanceOf(ProofRefused);
  });
});

describe('login names by uid: looked up once a minute, not once per CLI command', () => {
  it('reuses a name for a minute, shares one lookup between connections arriving together, then looks again', async () => {
    let clock = 0;
    const lookups: number[] = [];
    const accounts = new Map([[1000, 'zhangsan']]);
    const names = new OsUserNames(
      async (uid) => (lookups.push(uid), accounts.get(uid) ?? `uid:${uid}`),
      60_000,
      () => clock,
    );
    await expect(Promise.all([names.of(1000), names.of(1000), names.of(1001)])).resolves.toEqual(['zhangsan', 'zhangsan', 'uid:1001']);
    expect(lookups).toEqual([1000, 1001]);
    accounts.set(1000, 'zhangsan2'); // usermod -l
    clock = 59_999;
    await expect(names.of(1000)).resolves.toBe('zhangsan');
    clock = 60_000;
    await expect(names.of(1000)).resolves.toBe('zhangsan2');
    expect(lookups).toEqual([1000, 1001, 1000]);
  });
});
