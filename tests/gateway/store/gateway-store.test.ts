import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmManager } from '../../../gateway/alarms/alarm-manager.js';
import { consoleLogger, silentLogger } from '../../../gateway/core/logger.js';
import { DataDirLockedError } from '../../../gateway/store/data-dir-lock.js';
import { GatewayStore, StoreRefusedError } from '../../../gateway/store/gateway-store.js';
import { listBackups } from '../../../gateway/store/backups.js';
import { STORAGE_ALARM_IDS } from '../../../gateway/store/storage-health.js';
import type { AlarmDefinition } from '../../../rules/condition.js';
import { REPO_ROOT, startCli } from '../../helpers/cli.js';
import { freePort, waitFor } from '../../helpers/ports.js';
import { validateConfig } from '../../../gateway/config/load.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { usccCheckChar } from '../../../gateway/config/uscc.js';

const dirs: string[] = [];
const stores: GatewayStore[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
  dirs.push(dir);
  return join(dir, 'data');
}

function open(dataDir: string, log = silentLogger): GatewayStore {
  const store = new GatewayStore({ dataDir, log, holdEvents: 1000, backup: { intervalMs: 0, keep: 2 }, queues: false });
  stores.push(store);
  return store;
}

const DEFS: AlarmDefinition[] = ['a', 'b', 'c'].map((p) => ({ alarmId: `${p}:H`, point: p, condition: 'H', severity: 2, label: '高报', limit: 10, ruleId: p }));
function manager(store: GatewayStore): AlarmManager {
  return new AlarmManager({ definitions: [...DEFS, ...store.health.alarmDefinitions()], journal: store.journal, pointInfo: (p) => ({ name: p, unit: '', area: 'a' }), maxShelveMs: 3_600_000 });
}

/** Starts a child process that holds the data directory; resolves with it once it holds it. */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/gateway/store/fixtures/hold-data-dir.ts', dataDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of stores.splice(0)) await s.stop().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('memory', () => {
  it('its connections cache 2 MB of pages each (SQLite default), not the 16 MB better-sqlite3 builds in', () => {
    const store = new GatewayStore({ dataDir: tempDir(), log: silentLogger, holdEvents: 1000, backup: { intervalMs: 0, keep: 2 }, queues: true });
    stores.push(store);
    // A negative cache_size is KiB; with 16 MB a connection's cache grew with the database for hours.
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-2000);
    expect(store.queueDb?.pragma('cache_size', { simple: true })).toBe(-2000);
  });
});

describe('data directory lock', () => {
  it('refuses a second gateway on the same data directory, naming the running process', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir);
    let error: unknown;
    try {
      open(dataDir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`pid ${child.pid}`);
    expect((error as Error).message).toContain(dataDir);
    expect((error as DataDirLockedError).owner?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 30_000);

  it('a gateway killed with SIGKILL leaves no lock behind: the next one starts', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir);
    const gone = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    expect(() => open(dataDir)).not.toThrow();
  }, 30_000);

  it('in one process too, and the lock is free again after stop()', async () => {
    const dataDir = tempDir();
    const first = open(dataDir);
    expect(() => open(dataDir)).toThrow(DataDirLockedError);
    await first.stop();
    stores.splice(stores.indexOf(first), 1);
    expect(() => open(dataDir)).not.toThrow();
  });

  it('`run` on a data directory in use exits 1 with the holder in its message', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir);
    const cli = startCli(['run', '--config', 'gateway/config/demo-plant.yaml', '--data-dir', dataDir, '--mqtt-port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain(`pid ${child.pid}`);
  }, 60_000);
});

describe('database permissions', () => {
  it('data directory 0700, gateway.db and its WAL files 0600', () => {
    const dataDir = tempDir();
    const store = open(dataDir);
    manager(store).apply({ alarmId: 'a:H', active: true, value: 20, ts: Date.now() });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
  });
});

describe('a corrupt journal', () => {
  /** A journal with three alarms raised and acknowledged, then closed. */
  async function journalWithThreeAlarms(): Promise<string> {
    const dataDir = tempDir();
    const store = open(dataDir);
    const m = manager(store);
    for (const id of ['a:H', 'b:H', 'c:H']) m.apply({ alarmId: id, active: true, value: 20, ts: Date.now() });
    m.close();
    await store.stop();
    stores.splice(stores.indexOf(store), 1);
    return dataDir;
  }

  function tamper(dataDir: string, sql: string): void {
    const db = new Database(join(dataDir, 'gateway.db'));
    db.exec(sql);
    db.close();
  }

  for (const [what, sql, table] of [
    ["status='{' in a state row", "UPDATE alarm_state SET status = '{' WHERE alarm_id = 'b:H'", 'alarm_state'],
    ["status='{}' in a state row", "UPDATE alarm_state SET status = '{}' WHERE alarm_id = 'b:H'", 'alarm_state'],
    ["status='{}' in an event after the snapshot", "UPDATE alarm_state_mark SET seq = 0; DELETE FROM alarm_state; UPDATE alarm_events SET status = '{}' WHERE alarm_id = 'b:H'", 'alarm_events'],
    ["event='{' in the event a state row points at", "UPDATE alarm_events SET event = '{' WHERE alarm_id = 'b:H'", 'alarm_events'],
  ] as const) {
    it(`${what}: named, quarantined, the rest restored, JOURNAL_CORRUPT raised`, async () => {
      const dataDir = await journalWithThreeAlarms();
      tamper(dataDir, sql);
      const lines: string[] = [];
      const store = open(dataDir, consoleLogger('info', 'gateway', (l) => lines.push(l)));
      const m = manager(store);
      store.reportRestore();
      expect(m.get('a:H').state).toBe('UNACK');
      expect(m.get('c:H').state).toBe('UNACK');
      // Never silently NORMAL with a readable alternative: b falls back to its latest readable event, if any.
      expect(store.journal.quarantined.some((r) => r.table === table && r.alarmId === 'b:H')).toBe(true);
      expect(lines.join('\n')).toMatch(new RegExp(`table ${table} key \\S+ \\(alarm b:H\\)`));
      const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
      const rows = db.prepare('SELECT table_name, row_key, reason FROM journal_quarantine').all() as { table_name: string }[];
      db.close();
      expect(rows.map((r) => r.table_name)).toContain(table);
      const raised = await firstValueFrom(store.health.diagnostics$.pipe(filter((u) => u.alarmId === STORAGE_ALARM_IDS.journalCorrupt)));
      expect(raised.active).toBe(true);
      expect(raised.detail).toContain(table);
      // Seq goes on from the highest ever written, quarantined rows included.
      const events: number[] = [];
      m.events$.subscribe((e) => events.push(e.seq));
      m.apply({ alarmId: 'c:H', active: false, value: 0, ts: Date.now() });
      expect(events).toEqual([4]);
    });
  }

  it('a gateway started on it names the quarantined row once and raises gateway:JOURNAL_CORRUPT', async () => {
    const dataDir = await journalWithThreeAlarms();
    tamper(dataDir, "UPDATE alarm_state SET status = '{' WHERE alarm_id = 'b:H'");
    const parsed = validateConfig({
      gateway: { id: 'gw-restore', enterprise: { name: '甲钢铁有限公司', creditCode: '91350100M000100Y4' + usccCheckChar('91350100M000100Y4')! }, summaryInterval: 0 }, mqtt: { port: await freePort() }, storage: { dataDir },
      // A PLC nobody answers for: the test is about the journal.
      devices: [{ id: 'plc', type: 'modbus-tcp', host: '127.0.0.1', port: await freePort(), pollInterval: '1s', points: [{ id: 'a', name: '一氧化碳', unit: 'ppm', table: 'holding', address: 0 }] }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const lines: string[] = [];
    const gw = new Gateway({ config: parsed.config, log: consoleLogger('info', 'gateway', (l) => lines.push(l)), write: () => undefined });
    await gw.start();
    try {
      await waitFor(() => gw.alarms.get(STORAGE_ALARM_IDS.journalCorrupt).facts.active, 5000, 'JOURNAL_CORRUPT');
      expect(lines.filter((l) => l.includes('journal row quarantined') && l.includes('(alarm b:H)'))).toHaveLength(1);
    } finally {
      await gw.stop();
    }
  });

  it('a state row whose status is broken falls back to the alarm\'s latest readable event', async () => {
    const dataDir = await journalWithThreeAlarms();
    tamper(dataDir, "UPDATE alarm_state SET status = '{}' WHERE alarm_id = 'b:H'");
    const m = manager(open(dataDir));
    expect(m.get('b:H').state).toBe('UNACK');
    expect(m.get('b:H').facts.active).toBe(true);
  });

  for (const [what, prepare, expected] of [
    ['an empty (0 byte) gateway.db', (f: string) => writeFileSync(f, ''), /为空 \(0 字节\)/],
    ['a gateway.db that is not a database', (f: string) => writeFileSync(f, 'x'.repeat(5000)), /无法读取 \[SQLITE_NOTADB/],
    ['a gateway.db with no tables', (f: string) => new Database(f).exec('VACUUM'), /no tables/],
  ] as const) {
    it(`${what} is refused with the file and the recovery command, and left as it was`, async () => {
      const dataDir = tempDir();
      open(dataDir);
      await stores.pop()!.stop();
      const file = join(dataDir, 'gateway.db');
      rmSync(file);
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
      prepare(file);
      const size = statSync(file).size;
      let error: unknown;
      try {
        open(dataDir);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StoreRefusedError);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toContain(`npm run gateway -- restore --data-dir ${dataDir}`);
      expect((error as Error).message).toMatch(expected);
      expect(statSync(file).size).toBe(size);
      // Refused, the directory is not left locked.
      rmSync(file);
      expect(() => open(dataDir)).not.toThrow();
    });
  }
});

describe('backups and restore', () => {
  it('takes owner-only online backups, keeps `keep`, and `restore` puts the newest back when the gateway is stopped', async () => {
    const dataDir = tempDir();
    const store = open(dataDir);
    const m = manager(store);
    m.apply({ alarmId: 'a:H', active: true, value: 20, ts: Date.now() });
    await store.backupNow();
    m.apply({ alarmId: 'b:H', active: true, value: 20, ts: Date.now() });
    await new Promise((r) => setTimeout(r, 5));
    await store.backupNow();
    await new Promise((r) => setTimeout(r, 5));
    m.apply({ alarmId: 'c:H', active: true, value: 20, ts: Date.now() });
    const newest = await store.backupNow();
    const backups = listBackups(dataDir);
    expect(backups.map((b) => b.file)).toHaveLength(2);
    expect(backups[0]!.file).toBe(newest);
    expect(statSync(newest).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);

    // Refused while the gateway runs on the directory.
    const busy = startCli(['restore', '--data-dir', dataDir]);
    expect(await busy.exited).toBe(1);
    expect(busy.output()).toContain(`pid ${process.pid}`);

    m.close();
    await store.stop();
    stores.splice(stores.indexOf(store), 1);
    // The database is lost…
    writeFileSync(join(dataDir, 'gateway.db'), '');
    const restore = startCli(['restore', '--data-dir', dataDir]);
    expect(await restore.exited).toBe(0);
    expect(restore.output()).toContain(newest);
    expect(readdirSync(dataDir).some((f) => f.startsWith('gateway.db.before-restore-'))).toBe(true);
    expect(statSync(join(dataDir, 'gateway.db')).mode & 0o777).toBe(0o600);
    // …and comes back as it was at the newest backup: three alarms, seq on from 3.
    const again = manager(open(dataDir));
    expect(again.list().filter((s) => s.facts.active).map((s) => s.alarmId)).toEqual(['a:H', 'b:H', 'c:H']);
    const seqs = firstValueFrom(again.events$.pipe(take(1), toArray()));
    again.apply({ alarmId: 'a:H', active: false, value: 0, ts: Date.now() });
    expect((await seqs)[0]!.seq).toBe(4);
    expect(existsSync(join(dataDir, 'backups'))).toBe(true);
  }, 60_000);
});
