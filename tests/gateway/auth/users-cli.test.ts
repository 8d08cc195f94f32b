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

/**
 * Runs `users …` on a pseudo-terminal (util-linux `script`), typing `answers` one per prompt as the
 * prompts appear, the way an engineer does at the console.
 */
function usersOnTty(args: string[], answers: string[]): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, '--import', 'tsx', 'gateway/cli/main.ts', 'users', ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let prompts = 0;
  const onData = (d: Buffer) => {
    out += d.toString();
    const seen = (out.match(/\[password\]: |\[repeat\]: /g) ?? []).length;
    while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('users CLI', () => {
  it('prompts twice with echo off on a terminal, and refuses two different entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'users-tty-'));
    const ok = await usersOnTty(['add', 'admin1', '--role', 'admin', '--data-dir', dir], ['terminal pass 123', 'terminal pass 123']);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('已添加用户');
    expect(ok.out).not.toContain('terminal pass 123');
    const db = openDatabase(join(dir, 'gateway.db'));
    expect(await new UserStore(db).authenticate('admin1', 'terminal pass 123')).toMatchObject({ role: 'admin' });
    db.close();
    const typo = await usersOnTty(['passwd', 'admin1', '--data-dir', dir], ['new password 1234', 'new password 1235']);
    expect(typo.code).toBe(1);
    expect(typo.out).toContain('两次输入的密码不一致');
  }, 60_000);

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
