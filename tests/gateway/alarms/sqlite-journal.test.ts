import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { migrate, openDatabase, type Db } from '../../../gateway/store/database.js';
import { ALARM_MIGRATIONS, SqliteAlarmJournal } from '../../../gateway/alarms/sqlite-journal.js';
import { alarmState } from '../../../gateway/alarms/alarm-state.js';
import { CO_HH, makeManager } from './harness.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const dirs: string[] = [];
const dbs: Db[] = [];
function tempDb(): { file: string; open(): Db } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-journal-'));
  dirs.push(dir);
  const file = join(dir, 'gateway.db');
  return {
    file,
    open: () => {
      const db = openDatabase(file, { synchronous: 'NORMAL' });
      dbs.push(db);
      return db;
    },
  };
}

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite alarm journal', () => {
  it("journals each event with its definition's basis (the standard and clause), read back after reopening", () => {
    const store = tempDb();
    const basis = '《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(六)';
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const { manager } = makeManager([{ ...CO_HH, basis }, { ...CO_HH, alarmId: 'plain:H', point: 'plain' }], new SqliteAlarmJournal(store.open()), s);
      s.schedule(() => {
        manager.apply({ alarmId: 'co:HH', active: true, value: 170, ts: s.now() });
        manager.apply({ alarmId: 'plain:H', active: true, value: 1, ts: s.now() });
        manager.close();
      }, 10);
    });
    dbs.pop()!.close();
    const events = new SqliteAlarmJournal(store.open()).events();
    expect(events.map((e) => [e.alarmId, e.basis])).toEqual([
      ['co:HH', basis],
      ['plain:H', undefined],
    ]);
  });

  it('restores states, shelve timers and seq after a restart', () => {
    const store = tempDb();
    const HOPPER = { ...CO_HH, alarmId: 'hopper:H', point: 'hopper' };
    const first = new TestScheduler(() => undefined);
    first.run(() => {
      const { manager } = makeManager([CO_HH, HOPPER], new SqliteAlarmJournal(store.open()), first);
      first.schedule(() => {
        manager.apply({ alarmId: 'co:HH', active: true, value: 170, ts: first.now() });
        manager.acknowledge('co:HH', '张三', '已通知');
        manager.apply({ alarmId: 'hopper:H', active: true, value: 80, ts: first.now() });
        manager.shelve('hopper:H', '李四', { durationMs: 1000, reason: '检修' });
      }, 100);
      // The process "stops" at 200: its pending shelve timer dies with it.
      first.schedule(() => manager.close(), 200);
    });
    dbs.pop()!.close();

    // The second run starts at virtual time 0 again; the shelve ends at absolute time 1100.
    const journal = new SqliteAlarmJournal(store.open());
    const second = new TestScheduler(() => undefined);
    second.run(() => {
      const { manager } = makeManager([CO_HH, HOPPER], journal, second);
      expect(manager.get('co:HH').state).toBe('ACKED');
      expect(manager.get('hopper:H').state).toBe('SHELVED');
      expect(manager.get('hopper:H').shelvedUntil).toBe(1100);
      expect(manager.latestEvents().map((e) => e.alarmId)).toEqual(['co:HH', 'hopper:H']);
      second.schedule(() => expect(manager.get('hopper:H').state).toBe('SHELVED'), 1099);
      second.schedule(() => {
        expect(manager.get('hopper:H').state).toBe('UNACK');
        manager.apply({ alarmId: 'co:HH', active: false, value: 3, ts: second.now() });
      }, 1101);
    });
    const events = journal.events();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.slice(4).map((e) => [e.alarmId, e.state, e.user])).toEqual([
      ['hopper:H', 'UNACK', 'system'],
      ['co:HH', 'NORMAL', undefined],
    ]);
    expect(journal.auditLog().map((a) => [a.action, a.user, a.before, a.after, a.reason])).toEqual([
      ['ACK', '张三', 'UNACK', 'ACKED', '已通知'],
      ['SHELVE', '李四', 'UNACK', 'SHELVED', '检修'],
      ['UNSHELVE', 'system', 'SHELVED', 'UNACK', '搁置到期'],
    ]);
  });

  it('after kill -9 nothing committed is lost or duplicated and states match the journal', async () => {
    const store = tempDb();
    const tsx = ['--import', 'tsx', 'tests/gateway/alarms/fixtures/alarm-crash-child.ts', store.file];
    const child = spawn(process.execPath, tsx, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const seqs = [...d.toString().matchAll(/seq (\d+)/g)].map((m) => Number(m[1]));
        if (seqs.length) printed = Math.max(printed, ...seqs);
        if (printed > 2000) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const db = store.open();
    const journal = new SqliteAlarmJournal(db);
    const events = journal.events();
    // Everything the child reported as published is in the journal, once, with no gaps.
    expect(events.length).toBeGreaterThanOrEqual(printed);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // The saved state of each alarm is the state of its last journaled event.
    const lastState = new Map(events.map((e) => [e.alarmId, e.state]));
    const saved = journal.restore();
    for (const [alarmId, state] of lastState) expect(alarmState(saved.get(alarmId)!.facts), alarmId).toBe(state);
    db.close();
    dbs.pop();

    // A restarted gateway comes back with exactly those states, the shelve timer still running.
    const dump = spawn(process.execPath, [...tsx, 'dump'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    dump.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => dump.on('exit', r));
    const restored = JSON.parse(out) as { alarmId: string; state: string; shelvedUntil?: number }[];
    for (const r of restored) {
      if (lastState.has(r.alarmId)) expect(r.state, r.alarmId).toBe(lastState.get(r.alarmId));
    }
    const shelved = restored.find((r) => r.alarmId === 'p4:H')!;
    expect(shelved.state).toBe('SHELVED');
    expect(shelved.shelvedUntil).toBeGreaterThan(Date.now());
  });

  it('restores from the status snapshot plus the events after it when the gateway stopped without closing', () => {
    const store = tempDb();
    const HOPPER = { ...CO_HH, alarmId: 'hopper:H', point: 'hopper' };
    const db = store.open();
    const journal = new SqliteAlarmJournal(db);
    const first = new TestScheduler(() => undefined);
    first.run(() => {
      const { manager } = makeManager([CO_HH, HOPPER], journal, first);
      first.schedule(() => {
        manager.apply({ alarmId: 'co:HH', active: true, value: 170, ts: first.now() });
        manager.apply({ alarmId: 'hopper:H', active: true, value: 80, ts: first.now() });
        // The snapshot catches up here; what follows lives only in the event rows.
        journal.flushSnapshot();
        manager.acknowledge('co:HH', '张三');
        manager.apply({ alarmId: 'hopper:H', active: false, value: 60, ts: first.now() });
      }, 100);
    });
    const snapshot = db.prepare('SELECT alarm_id, state FROM alarm_state ORDER BY alarm_id').all();
    expect(snapshot).toEqual([
      { alarm_id: 'co:HH', state: 'UNACK' },
      { alarm_id: 'hopper:H', state: 'UNACK' },
    ]);
    // No close(): as after kill -9.
    dbs.pop()!.close();

    const db2 = store.open();
    const restored = new SqliteAlarmJournal(db2).restore();
    expect(alarmState(restored.get('co:HH')!.facts)).toBe('ACKED');
    expect(alarmState(restored.get('hopper:H')!.facts)).toBe('RTN_UNACK');
    expect(restored.get('hopper:H')!.lastEvent?.seq).toBe(4);
    // Restoring brought the snapshot up to date, so the next restart reads no old events again.
    expect(db2.prepare('SELECT alarm_id, state FROM alarm_state ORDER BY alarm_id').all()).toEqual([
      { alarm_id: 'co:HH', state: 'ACKED' },
      { alarm_id: 'hopper:H', state: 'RTN_UNACK' },
    ]);
    expect(db2.prepare('SELECT seq FROM alarm_state_mark').get()).toEqual({ seq: 4 });
  });

  it('opens a journal written by the first schema (state row per event) and continues its seq', () => {
    const store = tempDb();
    const db = store.open();
    migrate(db, ALARM_MIGRATIONS.slice(0, 1));
    const event = { seq: 7, alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, state: 'UNACK', active: true, value: 170, limit: 160, message: '加压机房一氧化碳 高高报', ts: 50 };
    db.prepare('INSERT INTO alarm_events (seq, ts, alarm_id, event) VALUES (7, 50, ?, ?)').run('co:HH', JSON.stringify(event));
    const facts = { active: true, acked: false, latched: false, shelved: false, suppressed: false, outOfService: false };
    db.prepare('INSERT INTO alarm_state (alarm_id, seq, state, status) VALUES (?, 7, ?, ?)').run('co:HH', 'UNACK', JSON.stringify({ facts, value: 170, limit: 160, ts: 50, activeSince: 50 }));

    const journal = new SqliteAlarmJournal(db);
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const { manager } = makeManager([CO_HH], journal, scheduler);
      expect(manager.get('co:HH').state).toBe('UNACK');
      expect(manager.latestEvents().map((e) => e.seq)).toEqual([7]);
      manager.acknowledge('co:HH', '张三');
    });
    expect(journal.events().map((e) => [e.seq, e.state])).toEqual([
      [7, 'UNACK'],
      [8, 'ACKED'],
    ]);
  });

  it('prunes events and audit entries past the retention but keeps the latest event of every alarm', () => {
    const store = tempDb();
    const HOPPER = { ...CO_HH, alarmId: 'hopper:H', point: 'hopper' };
    const journal = new SqliteAlarmJournal(store.open());
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const { manager } = makeManager([CO_HH, HOPPER], journal, scheduler);
      const at = (t: number, f: () => void) => scheduler.schedule(f, t);
      at(100, () => manager.apply({ alarmId: 'co:HH', active: true, value: 170, ts: 100 }));
      at(150, () => manager.apply({ alarmId: 'hopper:H', active: true, value: 80, ts: 150 }));
      at(160, () => manager.shelve('hopper:H', '李四', { reason: '检修' }));
      at(200, () => manager.apply({ alarmId: 'co:HH', active: false, value: 20, ts: 200 }));
      at(300, () => manager.apply({ alarmId: 'co:HH', active: true, value: 180, ts: 300 }));
      at(310, () => manager.acknowledge('co:HH', '张三'));
    });
    expect(journal.pruneStep(250)).toEqual({ events: 3, audit: 1 });
    expect(journal.events().map((e) => [e.alarmId, e.ts, e.state])).toEqual([
      ['hopper:H', 160, 'SHELVED'],
      ['co:HH', 300, 'UNACK'],
      ['co:HH', 310, 'ACKED'],
    ]);
    expect(journal.auditLog().map((a) => a.action)).toEqual(['ACK']);
    // Nothing more to prune; the states and the seq survive a restart.
    expect(journal.pruneStep(250)).toEqual({ events: 0, audit: 0 });
    journal.close();
    dbs.pop()!.close();
    const again = new SqliteAlarmJournal(store.open());
    const restored = again.restore();
    expect(alarmState(restored.get('hopper:H')!.facts)).toBe('SHELVED');
    expect(alarmState(restored.get('co:HH')!.facts)).toBe('ACKED');
    expect(again.nextSeq()).toBe(7);
  });

  it('retention prunes a long backlog in steps and reports the total', async () => {
    const store = tempDb();
    const journal = new SqliteAlarmJournal(store.open());
    const scheduler = new TestScheduler(() => undefined);
    // 5,001 events stamped in 1970: far past any retention.
    scheduler.run(() => {
      const { manager } = makeManager([CO_HH], journal, scheduler);
      for (let i = 0; i <= 5000; i++) scheduler.schedule(() => manager.apply({ alarmId: 'co:HH', active: i % 2 === 0, value: i % 2 === 0 ? 170 : 20, ts: i }), i);
    });
    const removed = await new Promise<{ events: number; audit: number }>((resolve) => journal.startRetention(86_400_000, resolve));
    journal.close();
    expect(removed).toEqual({ events: 5000, audit: 0 });
    expect(journal.events().map((e) => [e.seq, e.state])).toEqual([[5001, 'UNACK']]);
  });
});
