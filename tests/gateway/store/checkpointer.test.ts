import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/store/database.js';
import { Checkpointer } from '../../../gateway/store/checkpointer.js';
import { waitFor } from '../../helpers/ports.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('WAL checkpoints off the main thread', () => {
  it('a connection without auto-checkpoint leaves the WAL to the worker, which folds it into the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.db');
    const db = openDatabase(file, { synchronous: 'NORMAL', autoCheckpoint: false });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    for (let i = 0; i < 3000; i++) insert.run('x'.repeat(500));
    // 3000 commits of ~500 bytes: far past the default 1000-page auto-checkpoint, yet nothing was
    // copied into the database file.
    const dbBytesBefore = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4 * 1024 * 1024);

    const errors: string[] = [];
    const ckpt = new Checkpointer(file, 50, (m) => errors.push(m));
    ckpt.start();
    await waitFor(() => statSync(file).size > dbBytesBefore + 1024 * 1024, 10_000, 'the checkpoint to copy the WAL into the database');
    await ckpt.stop();
    // The final checkpoint truncates the WAL; the data is all there.
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(3000);
    expect(errors).toEqual([]);
    db.close();
  });

  it('checkpoints several files from one worker, each until it stops, and starts the worker again after the last stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
    dirs.push(dir);
    const files = ['gateway.db', 'centre.db'].map((f) => join(dir, f));
    const dbs = files.map((file) => {
      const db = openDatabase(file, { synchronous: 'NORMAL', autoCheckpoint: false });
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
      return db;
    });
    const fill = (i: number) => {
      const insert = dbs[i]!.prepare('INSERT INTO t (body) VALUES (?)');
      for (let k = 0; k < 1000; k++) insert.run('x'.repeat(500));
    };
    const errors: string[] = [];
    const ckpts = files.map((file) => new Checkpointer(file, 50, (m) => errors.push(m)));
    for (const c of ckpts) c.start();
    for (const i of [0, 1]) {
      const before = statSync(files[i]!).size;
      fill(i);
      await waitFor(() => statSync(files[i]!).size > before + 256 * 1024, 10_000, `the checkpoint of ${files[i]}`);
    }
    // The first stops (its WAL truncated); the second is still checkpointed.
    await ckpts[0]!.stop();
    expect(statSync(`${files[0]}-wal`).size).toBe(0);
    const before = statSync(files[1]!).size;
    fill(1);
    await waitFor(() => statSync(files[1]!).size > before + 256 * 1024, 10_000, 'the checkpoint of the second file after the first stopped');
    await ckpts[1]!.stop();
    expect(statSync(`${files[1]}-wal`).size).toBe(0);
    // Started again after every user stopped: a new worker does the work.
    fill(0);
    const again = new Checkpointer(files[0]!, 50, (m) => errors.push(m));
    const size = statSync(files[0]!).size;
    again.start();
    await waitFor(() => statSync(files[0]!).size > size + 256 * 1024, 10_000, 'a checkpoint by a restarted worker');
    await again.stop();
    expect(errors).toEqual([]);
    for (const db of dbs) db.close();
  });

  it('reports a file it cannot open to that file\'s owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
    dirs.push(dir);
    const good: string[] = [];
    const bad: string[] = [];
    const ok = new Checkpointer(join(dir, 'ok.db'), 50, (m) => good.push(m));
    const missing = new Checkpointer(join(dir, 'no', 'such', 'dir', 'x.db'), 50, (m) => bad.push(m));
    ok.start();
    missing.start();
    await waitFor(() => bad.length > 0, 10_000, 'the open error');
    expect(bad[0]).toMatch(/unable to open|directory/i);
    await missing.stop();
    await ok.stop();
    expect(good).toEqual([]);
  });
});
