import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/store/database.js';
import { AlarmOccurrences } from '../../../gateway/uplink/alarm-occurrences.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('alarm occurrence keys (start and 消警 paired)', () => {
  it('one key from activation through acknowledgement to clearing; a new key on the next activation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occ-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'gateway.db'));
    const occ = new AlarmOccurrences(db);
    expect(occ.observe('gh1.co:HH', false, 1)).toBeUndefined();
    const start = occ.observe('gh1.co:HH', true, 100)!;
    expect(occ.observe('gh1.co:HH', true, 150)).toEqual(start); // acknowledged, still active
    expect(occ.observe('gh1.co:HH', false, 200)).toEqual(start); // 消警
    expect(occ.observe('gh1.co:HH', false, 250)).toEqual(start); // acknowledged after clearing
    const again = occ.observe('gh1.co:HH', true, 300)!;
    expect(again.key).not.toBe(start.key);
    expect(again.startedAt).toBe(300);
    expect(occ.observe('bf1.tp:H', true, 310)!.key).not.toBe(again.key);
    db.close();
  });

  it('a clear after a restart (kill -9) carries the key of the start sent before it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occ-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.db');
    const db1 = openDatabase(file);
    const start = new AlarmOccurrences(db1).observe('gh1.co:HH', true, 100)!;
    db1.close();
    const db2 = openDatabase(file);
    const occ = new AlarmOccurrences(db2);
    expect(occ.observe('gh1.co:HH', true, 500)).toEqual(start); // the alarm manager restores it active: same occurrence
    expect(occ.observe('gh1.co:HH', false, 600)).toEqual(start);
    db2.close();
  });
});
