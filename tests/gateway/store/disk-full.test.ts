import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlarmManager } from '../../../gateway/alarms/alarm-manager.js';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { openDatabase, type Db } from '../../../gateway/store/database.js';
import { GatewayStore, StoreRefusedError } from '../../../gateway/store/gateway-store.js';
import { STORAGE_ALARM_IDS } from '../../../gateway/store/storage-health.js';
import { InfluxQueue } from '../../../gateway/sinks/influx/queue.js';
import { UplinkQueue } from '../../../gateway/uplink/queue.js';
import type { AlarmDefinition } from '../../../rules/condition.js';
import { waitFor } from '../../helpers/ports.js';
import { Tmpfs } from '../../helpers/tmpfs.js';

// A real full disk: a 2 MB tmpfs (the tests run as root, as CI does), filled with dd.
let disk: Tmpfs;
let n = 0;
const stores: GatewayStore[] = [];
const dbs: Db[] = [];

beforeAll(() => {
  disk = new Tmpfs('2m', 'gw-diskfull-');
});
afterAll(() => disk.unmount());
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop().catch(() => undefined);
  for (const db of dbs.splice(0)) if (db.open) db.close();
  disk.empty();
});

const fill = () => disk.fill();
const free = () => disk.free();
const dataDir = () => join(disk.path, `data${++n}`);

const DEFS: AlarmDefinition[] = ['a', 'b'].map((p) => ({ alarmId: `${p}:H`, point: p, condition: 'H', severity: 2, label: '高报', limit: 10, ruleId: p }));

function openStore(dir: string): GatewayStore {
  const store = new GatewayStore({ dataDir: dir, log: silentLogger, holdEvents: 1000, backup: { intervalMs: 0, keep: 1 }, queues: false });
  stores.push(store);
  return store;
}

describe('disk full', () => {
  it('the journal holds events in memory, annunciation goes on in seq order, a red alarm says "disk full at <path>", and the events are journaled in order when space returns', async () => {
    const dir = dataDir();
    const store = openStore(dir);
    const defs = [...DEFS, ...store.health.alarmDefinitions()];
    const m = new AlarmManager({ definitions: defs, journal: store.journal, pointInfo: (p) => ({ name: p, unit: '', area: 'a' }) });
    // The storage alarm reaches the manager the way the gateway feeds it (as a rule's conditions).
    store.health.diagnostics$.subscribe((u) => m.apply(u));
    const published: AlarmEvent[] = [];
    m.events$.subscribe((e) => published.push(e));
    m.apply({ alarmId: 'a:H', active: true, value: 20, ts: Date.now() });

    fill();
    for (let i = 0; i < 200; i++) m.apply({ alarmId: 'b:H', active: i % 2 === 0, value: i, ts: Date.now() });
    await waitFor(() => published.some((e) => e.alarmId === STORAGE_ALARM_IDS.failing), 5000, 'storage alarm');

    // Published without a gap or reordering, the storage alarm among them.
    expect(published.map((e) => e.seq)).toEqual(published.map((_, i) => i + 1));
    const alarm = published.find((e) => e.alarmId === STORAGE_ALARM_IDS.failing)!;
    expect(alarm.severity).toBe(4);
    expect(alarm.active).toBe(true);
    expect(alarm.message).toContain(`disk full at ${dir}`);
    expect(store.journal.heldEvents).toBeGreaterThan(0);

    free();
    await waitFor(() => store.journal.heldEvents === 0, 10_000, 'held events journaled');
    await waitFor(() => published.some((e) => e.alarmId === STORAGE_ALARM_IDS.failing && !e.active), 5000, 'storage alarm cleared');
    m.close();
    const db = new Database(join(dir, 'gateway.db'), { readonly: true });
    const rows = db.prepare('SELECT seq, event FROM alarm_events ORDER BY seq').all() as { seq: number; event: string }[];
    db.close();
    // Every published event is in the journal once, as published.
    expect(rows.map((r) => r.seq)).toEqual(published.map((e) => e.seq));
    expect(rows.map((r) => JSON.parse(r.event) as AlarmEvent)).toEqual(published);
  }, 60_000);

  it('a backup the full disk refuses raises gateway:BACKUP_FAILING, and the next good one clears it', async () => {
    const dir = dataDir();
    const store = openStore(dir);
    const updates: { active: boolean; detail?: string | undefined }[] = [];
    store.health.diagnostics$.subscribe((u) => u.alarmId === STORAGE_ALARM_IDS.backupFailing && updates.push(u));
    fill();
    await expect(store.backupNow()).rejects.toThrow();
    free();
    await store.backupNow();
    await waitFor(() => updates.length === 2, 5000, 'backup alarm raised and cleared');
    expect(updates[0]!.active).toBe(true);
    expect(updates[0]!.detail).toContain(`disk full at ${join(dir, 'backups')}`);
    expect(updates[1]!.active).toBe(false);
  });

  it('start-up on a full disk is refused, naming the path', async () => {
    const dir = dataDir();
    const store = openStore(dir);
    await store.stop();
    stores.pop();
    fill();
    let error: unknown;
    try {
      openStore(dir);
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).toContain(`disk full at ${dir}`);
    expect(error, String((error as Error).stack)).toBeInstanceOf(StoreRefusedError);
  });

  it('the uplink queue keeps messages in memory, then refuses new ones, counted, and never throws', async () => {
    mkdirSync(join(disk.path, 'uplink'));
    const db = openDatabase(join(disk.path, 'uplink', 'gateway.db'));
    dbs.push(db);
    const q = new UplinkQueue(db, { commitWindowMs: 1, maxHeld: 50 });
    const heard: unknown[] = [];
    q.onStorage((e) => heard.push(e));
    fill();
    for (let i = 0; i < 80; i++) {
      q.enqueue('alarm', [{ pointCode: 'P1', value: i, unit: '', quality: 'Good', time: i, alarmLevel: 0 }], i, false);
      if (i % 10 === 0) q.flush();
    }
    expect(q.storageFailing).toBe(true);
    expect(heard).toHaveLength(1);
    expect(q.rejected).toBe(30);
    free();
    await waitFor(() => !q.storageFailing, 5000, 'queue commits again');
    expect(heard.at(-1)).toBeUndefined();
    expect(q.peek(100).map((m) => m.items[0]!.value)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  }, 30_000);

  it('the InfluxDB disk queue refuses a batch on a full disk instead of throwing', () => {
    mkdirSync(join(disk.path, 'influx'));
    const db = openDatabase(join(disk.path, 'influx', 'gateway.db'));
    dbs.push(db);
    const q = new InfluxQueue(db);
    fill();
    const big = Array.from({ length: 1000 }, (_, i) => `m,site=s v=${i} ${i}`);
    expect(q.push(big, 1)).toBe(false);
    expect(q.storageError).toBeDefined();
    expect(q.lines).toBe(0);
    free();
    expect(q.push(big, 2)).toBe(true);
    expect(q.storageError).toBeUndefined();
    expect(q.lines).toBe(1000);
  });
});
