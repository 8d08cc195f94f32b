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
});
