import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionUpdate } from '../../../../gateway/core/condition.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { Metrics } from '../../../../gateway/core/metrics.js';
import { usccCheckChar } from '../../../../gateway/config/uscc.js';
import { migrateCentre } from '../../../../gateway/services/centre/centre-db.js';
import { FeedbackRecorder } from '../../../../gateway/services/centre/feedback-recorder.js';
import { CentreIntake, FLUSH_BATCH } from '../../../../gateway/services/centre/intake.js';
import { EnterpriseRegister } from '../../../../gateway/services/centre/register.js';
import { CENTRE_STORAGE_ALARM_ID, CentreStorageAlarm } from '../../../../gateway/services/centre/storage-alarm.js';
import { WarningBook } from '../../../../gateway/services/centre/warnings.js';
import { openDatabase, type Db } from '../../../../gateway/store/database.js';
import { Tmpfs } from '../../../helpers/tmpfs.js';

// centre.db on a real full disk: a 4 MB tmpfs filled with dd (the tests run as root, as CI does).
const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const A = code('91350100M000100Y4');
let disk: Tmpfs;
let n = 0;
const dbs: Db[] = [];

beforeAll(() => {
  disk = new Tmpfs('4m', 'gw-centre-diskfull-');
});
afterAll(() => disk.unmount());
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  disk.empty();
});

interface Centre {
  intake: CentreIntake;
  db: Db;
  dir: string;
  metrics: Metrics;
  alarms: ConditionUpdate[];
  clock: { now: number };
}

/** A centre's intake on centre.db in a fresh directory of the tmpfs (or that directory again, reopened). */
function centre(hold = { samples: 1_048_576, alarmEvents: 200_000 }, dir = join(disk.path, `c${++n}`)): Centre {
  const db = openDatabase(join(dir, 'centre.db'), { synchronous: 'NORMAL', autoCheckpoint: false });
  dbs.push(db);
  migrateCentre(db);
  const register = new EnterpriseRegister(db);
  if (!register.get(A)) register.upsert({ code: A, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, 'u', 1);
  const metrics = new Metrics();
  const clock = { now: 1_000_000 };
  const storage = new CentreStorageAlarm({ dataDir: dir, log: silentLogger, metrics, now: () => clock.now });
  const alarms: ConditionUpdate[] = [];
  storage.diagnostics$.subscribe((u) => alarms.push(u));
  const intake = new CentreIntake({ db, register, logger: silentLogger, metrics, offlineAfter: 90_000, dedupFor: 86_400_000, now: () => clock.now, hold, onStorage: storage.listener });
  return { intake, db, dir, metrics, alarms, clock };
}

let seq = 0;
function envelope(type: string, items: object[], extra: object = {}): Buffer {
  return Buffer.from(JSON.stringify({ dataId: randomUUID(), seq: ++seq, type, enterpriseCode: A, gatewayCode: 'gw-a', timestamp: Date.now(), historical: false, items, ...extra }));
}
const topic = (type: string) => `safety/${A}/gw-a/${type}`;
const values = (from: number, count: number, time: number) => Array.from({ length: count }, (_, i) => ({ pointCode: `P${from + i}`, value: from + i, unit: 'ppm', quality: 'Good', time, alarmLevel: 0 }));
const alarmItem = (point: string, active: boolean, time: number) => ({ pointCode: point, value: 30, unit: 'ppm', quality: 'Good', time, alarmLevel: active ? 2 : 0, alarmType: 'HI', alarmActive: active, alarmState: active ? 'UNACK' : 'RTN_UNACK', alarmMessage: `${point} 高报` });
const count = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function dangerReport(revision: number) {
  return {
    dangerId: 'HD-1', revision, dangerName: '除尘器泄爆口锈蚀', dangerLevel: 'general', dangerSrc: 'daily', dangerManageType: 'deadline', dangerDesc: '泄爆片锈蚀',
    registrant: 'eng1', registTime: 1000, state: revision === 1 ? 'registered' : 'rectifying', photosBefore: [], photosAfter: [], companyCode: A, alarmIds: [], updatedAt: 1000 + revision, updatedBy: 'eng1',
  };
}

describe('centre.db on a full disk', () => {
  it('holds history, the alarm log, point names, dangers and watermarks in memory, raises centre:STORAGE_FAILING "disk full at <dir>", and writes all of it once space returns', () => {
    const c = centre();
    expect(c.intake.receive(topic('realtime'), envelope('realtime', values(0, 5, 1000)), 1)).toBeUndefined();
    c.intake.flush();
    expect(count(c.db, 'history_chunk')).toBe(5);

    disk.fill();
    // More than two full batches in one envelope: each full batch meets the full disk in the middle of it.
    const many = 2 * FLUSH_BATCH + 10;
    expect(c.intake.receive(topic('realtime'), envelope('realtime', values(5, many, 2000)), 2)).toBeUndefined();
    expect(c.intake.receive(topic('alarm'), envelope('alarm', [alarmItem('P1', true, 2100), alarmItem('P2', true, 2200), alarmItem('P1', false, 2300)]), 3)).toBeUndefined();
    const baseData = { fingerprint: 'a'.repeat(64), enterprise: { code: A, name: '甲' }, gateway: { code: 'gw-a' }, equipment: [], targets: [{ code: 'P1', name: '加压机房CO', unit: 'ppm', limits: {} }] };
    expect(c.intake.receive(topic('basedata'), envelope('basedata', [], { baseData }), 4)).toBeUndefined();
    expect(c.intake.receive(topic('hidden_danger'), envelope('hidden_danger', [], { hiddenDanger: dangerReport(1) }), 5)).toBeUndefined();
    expect(c.intake.receive(topic('hidden_danger'), envelope('hidden_danger', [], { hiddenDanger: dangerReport(2) }), 5)).toBeUndefined();
    c.intake.flushSafely();

    expect(c.intake.storageFailing).toBe(true);
    const raised = c.alarms.find((u) => u.alarmId === CENTRE_STORAGE_ALARM_ID && u.active);
    expect(raised?.detail).toContain(`disk full at ${c.dir}`);
    expect(c.intake.held).toMatchObject({ samples: many, alarmEvents: 3, droppedSamples: 0, droppedAlarmEvents: 0 });
    // The live state goes on: the console still sees every point and the alarm.
    expect(c.intake.latest.get(A)?.size).toBe(5 + many);
    expect(c.intake.alarms.get(A)?.get('gw-a:P2:HI')?.active).toBe(true);
    // One refused attempt: the later full batches and flushes before the retry time only hold.
    expect(c.metrics.counter('centre_storage_errors_total')).toBe(1);
    c.intake.flushSafely();
    expect(c.metrics.counter('centre_storage_errors_total')).toBe(1);
    // Still full at the retry time: refused again, held still, retried later (backoff).
    c.clock.now += 1000;
    c.intake.flushSafely();
    expect(c.metrics.counter('centre_storage_errors_total')).toBe(2);
    expect(c.intake.held.samples).toBe(many);

    disk.free();
    c.clock.now += 2000;
    c.intake.flushSafely();
    expect(c.intake.storageFailing).toBe(false);
    expect(c.alarms.at(-1)).toMatchObject({ alarmId: CENTRE_STORAGE_ALARM_ID, active: false });
    expect(c.intake.held.samples).toBe(0);
    expect(count(c.db, 'history_chunk')).toBe(5 + many);
    expect(count(c.db, 'centre_alarm_event')).toBe(3);
    expect(c.intake.history.trend(`${A}.P${4 + many}`, 0, 10_000, 10).map((s) => s.value)).toEqual([4 + many]);
    expect(c.metrics.counter('centre_intake_errors_total')).toBe(0);

    // A restart on what was written: names, alarm states, the danger's latest revision and the watermark are there.
    c.db.close();
    const again = centre(undefined, c.dir);
    expect(again.intake.pointInfo.get(A)?.get('P1')).toEqual({ name: '加压机房CO', unit: 'ppm' });
    expect(again.intake.pointInfo.get(A)?.size).toBe(5 + many);
    expect(again.intake.alarms.get(A)?.get('gw-a:P1:HI')?.active).toBe(false);
    expect(again.intake.alarms.get(A)?.get('gw-a:P2:HI')?.active).toBe(true);
    expect(again.intake.hiddenDangers.get(A)?.get('HD-1')?.revision).toBe(2);
    expect(again.intake.receive(topic('heartbeat'), Buffer.from(JSON.stringify({ dataId: randomUUID(), seq, type: 'heartbeat', enterpriseCode: A, gatewayCode: 'gw-a', timestamp: 0, historical: false, items: [] })), 9)).toBe('duplicate');
  });

  it('past holdSamples drops the oldest history batches and past holdAlarmEvents the oldest alarm log rows, counted; the newest are written', () => {
    const c = centre({ samples: 2 * FLUSH_BATCH, alarmEvents: 4 });
    c.intake.flush();
    disk.fill();
    for (let b = 0; b < 5; b++) c.intake.receive(topic('realtime'), envelope('realtime', values(b * FLUSH_BATCH, FLUSH_BATCH, 2000)), 2);
    c.intake.receive(topic('alarm'), envelope('alarm', Array.from({ length: 6 }, (_, i) => alarmItem(`P${i}`, true, 3000 + i))), 3);
    c.intake.flushSafely();
    expect(c.intake.storageFailing).toBe(true);
    expect(c.intake.held).toEqual({ samples: 2 * FLUSH_BATCH, alarmEvents: 4, droppedSamples: 3 * FLUSH_BATCH, droppedAlarmEvents: 2 });
    expect(c.metrics.counter('centre_history_dropped_total')).toBe(3 * FLUSH_BATCH);
    expect(c.metrics.counter('centre_alarm_events_dropped_total')).toBe(2);

    disk.free();
    c.clock.now += 1000;
    c.intake.flushSafely();
    expect(c.intake.storageFailing).toBe(false);
    expect(count(c.db, 'history_chunk')).toBe(2 * FLUSH_BATCH);
    expect(c.intake.history.trend(`${A}.P0`, 0, 10_000, 10)).toEqual([]);
    expect(c.intake.history.trend(`${A}.P${5 * FLUSH_BATCH - 1}`, 0, 10_000, 10).map((s) => s.value)).toEqual([5 * FLUSH_BATCH - 1]);
    // Every point is registered: names and units are never dropped, only samples.
    expect(count(c.db, 'centre_point')).toBe(5 * FLUSH_BATCH);
    expect((c.db.prepare('SELECT point_code FROM centre_alarm_event ORDER BY ts').all() as { point_code: string }[]).map((r) => r.point_code)).toEqual(['P2', 'P3', 'P4', 'P5']);
  });

  it('holds an enterprise\'s warning feedback while the disk refuses it, and records it, in order, when it takes it again', () => {
    const c = centre();
    const warnings = new WarningBook(c.db);
    const w = warnings.open({ dedupKey: 'k1', enterpriseCode: A, gatewayCode: 'gw-a', kind: 'manual', level: 2, title: '煤气报警未处置', content: '请核查' }, '某县应急管理局', 1000, 86_400_000)!;
    const recorder = new FeedbackRecorder({ warnings, log: silentLogger, metrics: c.metrics });
    disk.fill();
    const feedback = (state: 'received' | 'answered', at: number) => ({ enterpriseCode: A, feedback: { warningId: w.warningId, state, content: state === 'answered' ? '已更换法兰垫片，复查合格' : '已签收', handledBy: 'eng1', at }, at });
    // Each written to the full disk: neither throws, both held, in order.
    expect(() => recorder.record(feedback('received', 2000))).not.toThrow();
    expect(() => recorder.record(feedback('answered', 3000))).not.toThrow();
    expect(recorder.heldCount).toBe(2);
    recorder.retry();
    expect(recorder.heldCount).toBe(2);
    expect(warnings.get(w.warningId, 4000)?.status).toBe('pending');

    disk.free();
    recorder.retry();
    expect(recorder.heldCount).toBe(0);
    const tracked = warnings.get(w.warningId, 4000)!;
    expect(tracked.status).toBe('answered');
    expect(tracked.feedback?.content).toContain('复查合格');
    expect(c.metrics.counter('centre_feedback_total', { state: 'answered' })).toBe(1);
  });
});
