import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { hashPassword, needsRehash, OWASP_SCRYPT, parseHash, verifyPassword } from '../../../gateway/auth/password.js';
import { can, ROLES, type Principal } from '../../../gateway/auth/permissions.js';

/** Fast parameters for tests; the store's default is OWASP's ln=17. */
const FAST = { ln: 10, r: 8, p: 1 };

describe('scrypt password hashes', () => {
  it('writes a self-describing hash with the OWASP parameters by default and verifies it', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(parseHash(hash)?.params).toEqual(OWASP_SCRYPT);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterz', hash)).toBe(false);
  });

  it('salts every hash, and refuses malformed or abusive stored hashes without throwing', async () => {
    const a = await hashPassword('same password!!', FAST);
    const b = await hashPassword('same password!!', FAST);
    expect(a).not.toBe(b);
    expect(needsRehash(a)).toBe(true);
    for (const bad of ['', 'plain', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', a.replace('ln=10', 'ln=9'), a.slice(0, -10)]) {
      expect(await verifyPassword('same password!!', bad)).toBe(false);
    }
  });
});

describe('user store', () => {
  const store = () => new UserStore(openDatabase(':memory:'), { hashParams: FAST });

  it('adds, authenticates, changes passwords, disables and removes users', async () => {
    const s = store();
    await s.add({ name: 'zhang.san', password: 'a long password 1', role: 'operator', areas: ['gas', 'dust'] });
    expect(s.get('zhang.san')).toMatchObject({ name: 'zhang.san', role: 'operator', areas: ['gas', 'dust'], disabled: false });
    expect(await s.authenticate('zhang.san', 'a long password 1')).toMatchObject({ role: 'operator' });
    expect(await s.authenticate('zhang.san', 'a long password 2')).toBeUndefined();
    expect(await s.authenticate('li.si', 'a long password 1')).toBeUndefined();
    await s.setPassword('zhang.san', 'a new password 22');
    expect(await s.authenticate('zhang.san', 'a long password 1')).toBeUndefined();
    expect(await s.authenticate('zhang.san', 'a new password 22')).toBeDefined();
    s.update('zhang.san', { disabled: true });
    expect(await s.authenticate('zhang.san', 'a new password 22')).toBeUndefined();
    expect(s.remove('zhang.san')).toBe(true);
    expect(s.list()).toEqual([]);
  });

  it('refuses duplicates, short passwords and names that are not safe in topics and password files', async () => {
    const s = store();
    await s.add({ name: 'gas-001', password: 'device password 1', role: 'device' });
    await expect(s.add({ name: 'gas-001', password: 'device password 1', role: 'device' })).rejects.toThrow(/already exists/);
    await expect(s.add({ name: 'x', password: 'short', role: 'viewer' })).rejects.toThrow(/12 characters/);
    for (const name of ['a:b', 'plant/a', 'a+', '#', 'a b', '\u001b[31m', '']) {
      await expect(s.add({ name, password: 'long enough pass', role: 'viewer' })).rejects.toThrow();
    }
    // Areas default to all.
    expect(s.get('gas-001')?.areas).toEqual(['*']);
  });

  it('keeps the hash out of what it returns', async () => {
    const s = store();
    const u = await s.add({ name: 'admin1', password: 'admin password 1', role: 'admin' });
    expect(JSON.stringify(u)).not.toContain('$scrypt$');
  });
});

describe('permissions', () => {
  const user = (role: Principal['role'], areas: string[] = ['gas']): Principal => ({ name: 'u', role, areas });

  it('gives each role its actions', () => {
    expect(can(user('viewer'), 'alarms.read')).toBe(true);
    expect(can(user('viewer'), 'alarm.acknowledge', 'gas')).toBe(false);
    expect(can(user('operator'), 'alarm.acknowledge', 'gas')).toBe(true);
    expect(can(user('operator'), 'alarm.shelve.extended', 'gas')).toBe(false);
    expect(can(user('supervisor'), 'alarm.outOfService', 'anywhere')).toBe(true);
    expect(can(user('engineer'), 'config.write')).toBe(true);
    expect(can(user('engineer'), 'alarm.acknowledge', 'gas')).toBe(false);
    expect(can(user('admin'), 'users.manage')).toBe(true);
    expect(can(user('operator'), 'users.manage')).toBe(false);
    expect(can(user('device'), 'mqtt.ingest')).toBe(true);
    expect(can(user('device'), 'alarms.read')).toBe(false);
    expect(can(user('admin'), 'mqtt.sys')).toBe(true);
    for (const r of ROLES.filter((r) => r !== 'admin')) expect(can(user(r), 'mqtt.sys')).toBe(false);
  });

  it('scopes operator actions to their areas; supervisors act everywhere; disabled users nowhere', () => {
    expect(can(user('operator', ['gas']), 'alarm.acknowledge', 'dust')).toBe(false);
    expect(can(user('operator', ['*']), 'alarm.acknowledge', 'dust')).toBe(true);
    expect(can(user('supervisor', ['gas']), 'alarm.acknowledge', 'dust')).toBe(true);
    expect(can({ ...user('admin'), disabled: true }, 'alarms.read')).toBe(false);
    expect(can(undefined, 'alarms.read')).toBe(false);
  });
});
