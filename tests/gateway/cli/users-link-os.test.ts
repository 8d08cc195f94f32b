import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OsUserLinks } from '../../../gateway/auth/os-user-links.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** `npm run gateway -- users …` with `stdin` piped in. */
function users(args: string[], stdin = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/cli/main.ts', 'users', ...args], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(stdin);
  });
}

describe('users link-os: which gateway user an OS account acts as on the control socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-link-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('links, lists and unlinks; refuses unknown users and bad OS names', async () => {
    expect((await users(['add', 'zhang', '--role', 'operator', '--areas', 'gas', '--data-dir', dir], 'correct horse battery staple\n')).code).toBe(0);
    const missing = await users(['link-os', 'zhangsan', 'nobody-here', '--data-dir', dir]);
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain('no user "nobody-here"');
    const bad = await users(['link-os', '../etc', 'zhang', '--data-dir', dir]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('an OS user name is');

    const linked = await users(['link-os', 'zhangsan', 'zhang', '--data-dir', dir]);
    expect(linked.code).toBe(0);
    expect(linked.out).toContain('OS user zhangsan → zhang');
    expect((await users(['list', '--data-dir', dir])).out).toMatch(/OS zhangsan\s+→ zhang/);

    const db = openDatabase(join(dir, 'gateway.db'));
    try {
      expect(new OsUserLinks(db).userOf('zhangsan')).toBe('zhang');
      expect((await users(['unlink-os', 'zhangsan', '--data-dir', dir])).code).toBe(0);
      expect(new OsUserLinks(db).userOf('zhangsan')).toBeUndefined();
    } finally {
      db.close();
    }
    const again = await users(['unlink-os', 'zhangsan', '--data-dir', dir]);
    expect(again.code).not.toBe(0);
    expect(again.out).toContain('not linked');
  }, 60_000);
});
