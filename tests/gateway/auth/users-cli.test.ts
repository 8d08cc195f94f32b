import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';

function users(args: string[], stdin?: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/cli/main.ts', 'users', ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('users CLI', () => {
  it('adds a user with a piped password, lists, changes the password and removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'users-cli-'));
    const add = await users(['add', 'op1', '--role', 'operator', '--areas', 'gas,dust', '--data-dir', dir], 'operator pass 123\n');
    expect(add.code, add.out).toBe(0);
    expect(add.out).not.toContain('operator pass 123');
    const db = openDatabase(join(dir, 'gateway.db'));
    const store = new UserStore(db);
    expect(await store.authenticate('op1', 'operator pass 123')).toMatchObject({ role: 'operator', areas: ['gas', 'dust'] });

    const list = await users(['list', '--data-dir', dir]);
    expect(list.out).toMatch(/op1\s+operator\s+gas,dust/);
    expect(list.out).not.toContain('$scrypt$');

    expect((await users(['passwd', 'op1', '--data-dir', dir], 'second pass 4567\n')).code).toBe(0);
    expect(await store.authenticate('op1', 'operator pass 123')).toBeUndefined();
    expect(await store.authenticate('op1', 'second pass 4567')).toBeDefined();

    expect((await users(['remove', 'op1', '--data-dir', dir])).code).toBe(0);
    expect(store.get('op1')).toBeUndefined();
    db.close();
  }, 60_000);

  it('refuses a missing password, a password argument, an unknown role and a duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'users-cli-'));
    const none = await users(['add', 'a1', '--role', 'admin', '--data-dir', dir], '');
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/no password on stdin/);
    const argv = await users(['add', 'a1', '--role', 'admin', '--password', 'x', '--data-dir', dir], 'admin pass 12345\n');
    expect(argv.code).toBe(1);
    expect(argv.out).toMatch(/Unknown option '--password'/);
    const role = await users(['add', 'a1', '--role', 'root', '--data-dir', dir], 'admin pass 12345\n');
    expect(role.out).toMatch(/--role must be one of viewer, operator, supervisor, engineer, admin, device/);
    expect((await users(['add', 'a1', '--role', 'admin', '--data-dir', dir], 'admin pass 12345\n')).code).toBe(0);
    const dup = await users(['add', 'a1', '--role', 'admin', '--data-dir', dir], 'admin pass 12345\n');
    expect(dup.code).toBe(1);
    expect(dup.out).toMatch(/already exists/);
  }, 60_000);
});
