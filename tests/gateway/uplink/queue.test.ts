import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../gateway/store/database.js';
import { UplinkQueue } from '../../../gateway/uplink/queue.js';
import type { EnvelopeItem } from '../../../gateway/uplink/envelope.js';

const item = (code: string, value: number): EnvelopeItem => ({ pointCode: code, value, unit: 'ppm', quality: 'Good', time: 1, alarmLevel: 0 });
const dirs: string[] = [];
const dbs: Db[] = [];
function open(dir?: string): { db: Db; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'uplinkq-'));
  if (!dir) dirs.push(d);
  const db = openDatabase(join(d, 'gw.db'));
  dbs.push(db);
  return { db, dir: d };
}
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('UplinkQueue', () => {
  it('keeps messages in seq order across a reopen and removes them only on ack', () => {
    const { db, dir } = open();
    const q = new UplinkQueue(db);
    const ids = [q.enqueue('alarm', [item('A', 1)], 1000, false), q.enqueue('realtime', [item('B', 2)], 1001, false)];
    expect(q.head()).toBeUndefined(); // not committed before the end of the turn
    q.flush();
    db.close();
    const q2 = new UplinkQueue(open(dir).db);
    const rows = q2.peek(10);
    expect(rows.map((r) => r.dataId)).toEqual(ids);
    expect(rows[1]!.seq).toBeGreaterThan(rows[0]!.seq);
    q2.failed(rows[0]!.seq);
    expect(q2.head()!.historical).toBe(true);
    expect(q2.head()!.attempts).toBe(1);
    q2.ack(rows[0]!);
    expect(q2.head()!.dataId).toBe(ids[1]);
    q2.ack(rows[1]!);
    q2.deleteAcked();
    expect(q2.size).toBe(0);
    expect(q2.sizeBytes).toBe(0);
  });

  it('an acknowledgement not yet deleted when the process dies means a resend of that message, never a loss', () => {
    const { db, dir } = open();
    const q = new UplinkQueue(db);
    q.enqueue('alarm', [item('A', 1)], 1, false);
    q.enqueue('alarm', [item('A', 2)], 2, false);
    q.flush();
    q.ack(q.head()!);
    expect(q.head()!.items[0]!.value).toBe(2);
    expect(q.size).toBe(1);
    db.close(); // as kill -9 before the grouped delete
    const q2 = new UplinkQueue(open(dir).db);
    expect(q2.peek(10).map((m) => m.items[0]!.value)).toEqual([1, 2]);
  });

  it('never reuses a seq after the queue drained', () => {
    const { db } = open();
    const q = new UplinkQueue(db);
    q.enqueue('heartbeat', [], 1, false);
    q.flush();
    const first = q.head()!.seq;
    q.ack(q.head()!);
    q.deleteAcked();
    q.enqueue('heartbeat', [], 2, false);
    q.flush();
    expect(q.head()!.seq).toBe(first + 1);
  });

  it('thins realtime snapshots when over maxBytes and never drops alarms', () => {
    const { db } = open();
    const q = new UplinkQueue(db);
    const big = Array.from({ length: 20 }, (_, i) => item(`P${i}`, i));
    for (let t = 0; t < 40; t++) {
      q.enqueue('realtime', big, 10_000 + t * 10, true);
      if (t % 10 === 0) q.enqueue('alarm', [item('CO', 200 + t)], 10_000 + t * 10, true);
    }
    q.flush();
    const before = q.sizeBytes;
    const r = q.enforce({ maxBytes: Math.floor(before / 2), maxAge: 1e12 }, 20_000);
    expect(r.thinned).toBeGreaterThan(0);
    expect(q.sizeBytes).toBeLessThanOrEqual(Math.floor(before / 2));
    const left = q.peek(1000);
    expect(left.filter((m) => m.type === 'alarm')).toHaveLength(4);
    // Thinning keeps coverage: the newest snapshot and some of the oldest quarter remain.
    const snaps = left.filter((m) => m.type === 'realtime').map((m) => m.createdAt);
    expect(snaps).toContain(10_390);
    expect(snaps.some((t) => t < 10_100)).toBe(true);
    // Only alarms left and still over the bound: they stay.
    const r2 = q.enforce({ maxBytes: 1, maxAge: 1e12 }, 20_000);
    expect(r2.overLimitWithAlarmsOnly).toBe(true);
    expect(q.peek(1000).map((m) => m.type)).toEqual(['alarm', 'alarm', 'alarm', 'alarm']);
  });

  it('thins and expires a centre’s summaries like snapshots, but never the warning feedback between them', () => {
    const { db } = open();
    const q = new UplinkQueue(db);
    const summary = JSON.stringify({ at: 1, issuer: '某县监测中心', pad: 'x'.repeat(2000) });
    for (let t = 0; t < 20; t++) {
      q.enqueueJson('summary', summary, 10_000 + t * 10, true);
      if (t % 5 === 0) q.enqueueJson('warning_feedback', JSON.stringify({ warningId: `w${t}` }), 10_000 + t * 10, true);
    }
    q.flush();
    const before = q.sizeBytes;
    const r = q.enforce({ maxBytes: Math.floor(before / 2), maxAge: 1e12 }, 20_000);
    expect(r.thinned).toBeGreaterThan(0);
    const left = q.peek(1000);
    expect(left.filter((m) => m.type === 'warning_feedback')).toHaveLength(4);
    expect(left.filter((m) => m.type === 'summary').map((m) => m.createdAt)).toContain(10_190);
    // By age: every summary older than the bound goes, the feedback stays.
    q.enforce({ maxBytes: 1e12, maxAge: 1 }, 30_000);
    expect(q.peek(1000).map((m) => m.type)).toEqual(['warning_feedback', 'warning_feedback', 'warning_feedback', 'warning_feedback']);
  });

  it('expires old snapshots and heartbeats by age, but not alarms', () => {
    const { db } = open();
    const q = new UplinkQueue(db);
    q.enqueue('realtime', [item('A', 1)], 1000, true);
    q.enqueue('heartbeat', [], 1000, true);
    q.enqueue('alarm', [item('A', 99)], 1000, true);
    q.enqueue('realtime', [item('A', 2)], 9000, true);
    q.flush();
    const r = q.enforce({ maxBytes: 1e9, maxAge: 5000 }, 10_000);
    expect(r.expired).toBe(2);
    expect(q.peek(10).map((m) => [m.type, m.createdAt])).toEqual([
      ['alarm', 1000],
      ['realtime', 9000],
    ]);
  });
});
