import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HiddenDangerStore } from '../../../../gateway/services/hidden-danger/store.js';
import { openDatabase } from '../../../../gateway/store/database.js';
import { REPO_ROOT } from '../../../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('hidden-danger records survive kill -9', () => {
  it('every change that returned is on disk with its history row, and nothing is half-done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-hd-kill-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/gateway/services/hidden-danger/fixtures/transition-crash-child.ts', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const committed = new Map<string, { revision: number; state: string }>();
    let lines = 0;
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const line of parts) {
          const m = /^committed (\S+) (\d+) (\S+)$/.exec(line);
          if (!m) continue;
          lines++;
          const prev = committed.get(m[1]!);
          if (!prev || prev.revision < Number(m[2])) committed.set(m[1]!, { revision: Number(m[2]), state: m[3]! });
        }
        // Killed in the middle of the run, while transitions are being committed.
        if (lines > 400) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const db = openDatabase(file);
    const store = new HiddenDangerStore(db);
    // Every change the child saw return is there (possibly followed by one it had no time to print).
    for (const [id, seen] of committed) {
      const r = store.get(id);
      expect(r, id).toBeDefined();
      expect(r!.revision, id).toBeGreaterThanOrEqual(seen.revision);
      const h = store.history(id).find((e) => e.revision === seen.revision);
      expect(h?.afterState, `${id} r${seen.revision}`).toBe(seen.state);
    }
    // Each record's history is complete and ends in its state; the dedup key matches the states.
    const all = store.list({ limit: 100_000 });
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((r) => r.state === 'closed')).toBe(true);
    for (const r of all) {
      const history = store.history(r.id);
      expect(history.map((e) => e.revision), r.id).toEqual(history.map((_, i) => i + 1));
      expect(history.at(-1)!.afterState, r.id).toBe(r.state);
      expect(store.openRecordForAlarm(r.alarmIds[0]!) === r.id, r.id).toBe(r.state !== 'closed');
    }
    db.close();
  });
});
