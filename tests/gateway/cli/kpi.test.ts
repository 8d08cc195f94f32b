import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import type { AlarmKpis } from '../../../gateway/alarms/kpi.js';
import { startCli } from '../../helpers/cli.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
let dir: string;
let now: number;
/** Held open in WAL mode while the command runs, as a running gateway holds it. */
let gatewayDb: Database.Database;

/** The journal table as gateway/alarms/sqlite-journal.ts creates it. */
function writeJournal(file: string, events: AlarmEvent[], corrupt: { seq: number; ts: number; event: string }[]) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE alarm_events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alarm_id TEXT NOT NULL, event TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO alarm_events (seq, ts, alarm_id, event) VALUES (?, ?, ?, ?)');
  for (const e of events) insert.run(e.seq, e.ts, e.alarmId, JSON.stringify(e));
  for (const c of corrupt) insert.run(c.seq, c.ts, 'broken', c.event);
  return db;
}

async function kpi(args: string[]): Promise<{ code: number | null; out: string; stdout: string }> {
  const cli = startCli(['kpi', '--data-dir', dir, ...args]);
  let stdout = '';
  cli.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await cli.exited;
  return { code, out: cli.output(), stdout };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kpi-cli-'));
  now = Date.now();
  const events: AlarmEvent[] = [];
  const add = (ago: number, alarmId: string, state: AlarmEvent['state'], active: boolean, extra: Partial<AlarmEvent> = {}) => {
    const [point = '', condition = ''] = alarmId.split(':');
    events.push({ seq: events.length + 1, alarmId, point, condition, severity: 3, state, active, value: active ? 200 : 10, unit: 'ppm', message: `${point} ${condition}`, ts: now - ago, ...extra });
  };
  // Raised 30 h ago and still active: stale, and not part of the last 24 h load.
  add(30 * HOUR, 'dc1.hopper_temp:H', 'UNACK', true, { severity: 2 });
  add(30 * HOUR - MIN, 'dc1.hopper_temp:H', 'ACKED', true, { severity: 2, user: 'op1' });
  // Raised 50 h ago, cleared and acknowledged, raised again 26 h ago: stale since the second activation.
  add(50 * HOUR, 'gasholder.co:H', 'UNACK', true, { severity: 2 });
  add(49 * HOUR, 'gasholder.co:H', 'RTN_UNACK', false, { severity: 2 });
  add(48 * HOUR, 'gasholder.co:H', 'NORMAL', false, { severity: 2, user: 'op1' });
  add(26 * HOUR, 'gasholder.co:H', 'UNACK', true, { severity: 2 });
  // Raised and cleared just before the period, acknowledged in it: 11 min to acknowledge.
  add(24 * HOUR + 10 * MIN, 'booster.co:H', 'UNACK', true);
  add(24 * HOUR + 5 * MIN, 'booster.co:H', 'RTN_UNACK', false);
  add(24 * HOUR - MIN, 'booster.co:H', 'NORMAL', false, { user: 'op2' });
  // Three activations in 40 s (chattering), the first acknowledged after 2 min.
  for (const [i, ago] of [2 * HOUR, 2 * HOUR - 20_000, 2 * HOUR - 40_000].entries()) {
    add(ago, 'booster.co:HH', 'UNACK', true);
    add(ago - 10_000, 'booster.co:HH', 'RTN_UNACK', false);
    if (i === 0) add(ago - 10_000 - 2 * MIN + 10_000, 'booster.co:HH', 'NORMAL', false, { user: 'op1' });
  }
  gatewayDb = writeJournal(join(dir, 'gateway.db'), events, [{ seq: 100, ts: now - HOUR, event: '{"not": "an event"' }]);
});

afterAll(() => {
  gatewayDb.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `kpi --json` prints the KPIs and where they were read from. */
type KpiJson = AlarmKpis & { journal: { rows: number; invalidRows: number; invalidSeqs: number[] } };

describe('npm run gateway -- kpi', () => {
  it('prints the KPIs of the journal as JSON, counting rows it cannot parse', async () => {
    const r = await kpi(['--since', '24h', '--json']);
    expect(r.code, r.out).toBe(0);
    const k = JSON.parse(r.stdout) as KpiJson;
    expect(k.periodMs).toBe(24 * HOUR);
    expect(k.total.annunciated).toBe(3);
    expect(k.total.chattering).toEqual([expect.objectContaining({ alarmId: 'booster.co:HH', maxIn60s: 3 })]);
    expect(k.total.stale).toEqual([
      expect.objectContaining({ alarmId: 'dc1.hopper_temp:H', activeSince: now - 30 * HOUR, clearedAt: null, state: 'ACKED' }),
      expect.objectContaining({ alarmId: 'gasholder.co:H', activeSince: now - 26 * HOUR, clearedAt: null, state: 'UNACK' }),
    ]);
    expect(k.total.timeToAck).toMatchObject({ count: 2, medianMs: 6.5 * MIN, maxMs: 11 * MIN, unacknowledged: 2 });
    expect(k.total.priority.byClass.medium).toMatchObject({ count: 3, percent: 100 });
    expect(k.areas).toEqual([]);
    // The period's rows (7 + 1 ack + 1 corrupt) and each older alarm's events since it was last NORMAL.
    expect(k.journal).toMatchObject({ rows: 9 + 2 + 2 + 2, invalidRows: 1, invalidSeqs: [100] });
    expect(r.out).toContain('1 条日志记录无法解析');
  });

  it('gives per-area figures from the config', async () => {
    const r = await kpi(['--since', '24h', '--json', '--config', 'gateway/config/demo-plant.yaml']);
    expect(r.code, r.out).toBe(0);
    const k = JSON.parse(r.stdout) as KpiJson;
    expect(k.areas.map((a) => [a.area, a.annunciated, a.stale.length])).toEqual([
      ['dust', 0, 1],
      ['gas', 3, 1],
    ]);
  });

  it('prints a Chinese report in the terminal', async () => {
    const r = await kpi(['--since', '24h']);
    expect(r.code, r.out).toBe(0);
    for (const heading of ['报警系统绩效指标', '新报警', '报警率', '报警泛滥', '震荡报警', '陈旧报警', '前10位频发报警', '优先级分布', '确认时间']) {
      expect(r.stdout).toContain(heading);
    }
    expect(r.stdout).toContain('booster.co:HH (3级较大): 60秒内最多 3 次');
  });

  it('says clearly when there is no journal or the period is not a duration', async () => {
    const [missing, bad] = await Promise.all([kpi(['--data-dir', join(dir, 'nowhere')]), kpi(['--since', 'yesterday'])]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('找不到报警日志数据库');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('--since must be a duration');
  });
});
