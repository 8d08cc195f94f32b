import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { Metrics } from '../../../../gateway/core/metrics.js';
import { usccCheckChar } from '../../../../gateway/config/uscc.js';
import { SSE_BATCH_MS, SseHub } from '../../../../gateway/services/api/sse.js';
import { migrateCentre } from '../../../../gateway/services/centre/centre-db.js';
import { CentreIntake, FLUSH_BATCH } from '../../../../gateway/services/centre/intake.js';
import { CENTRE_LIVE_KEEP, CentreLiveFeed } from '../../../../gateway/services/centre/live-feed.js';
import { EnterpriseRegister } from '../../../../gateway/services/centre/register.js';
import { openDatabase, type Db } from '../../../../gateway/store/database.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const A = code('91350100M000100Y4');
const MIN = 60_000;

function centre(reopen?: Db): { intake: CentreIntake; register: EnterpriseRegister; metrics: Metrics; db: Db } {
  const db = reopen ?? openDatabase(':memory:');
  migrateCentre(db);
  const register = new EnterpriseRegister(db);
  if (!reopen) register.upsert({ code: A, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, 'u', 1);
  const metrics = new Metrics();
  return { intake: new CentreIntake({ db, register, logger: silentLogger, metrics, offlineAfter: 90_000, dedupFor: 86_400_000, hold: { samples: 1_048_576, alarmEvents: 200_000 } }), register, metrics, db };
}

let seq = 0;
function envelope(type: string, items: object[], extra: { historical?: boolean; timestamp?: number; baseData?: object } = {}): Buffer {
  const { historical = false, timestamp = Date.now(), ...rest } = extra;
  return Buffer.from(JSON.stringify({ dataId: randomUUID(), seq: ++seq, type, enterpriseCode: A, gatewayCode: 'gw-a', timestamp, historical, items, ...rest }));
}
const value = (pointCode: string, v: number | boolean | null, time: number, alarmLevel = 0, quality = 'Good') => ({ pointCode, value: v, unit: 'ppm', quality, time, alarmLevel });
const topic = (type: string) => `safety/${A}/gw-a/${type}`;

describe('centre intake: latest values and history per point', () => {
  it('keeps the newest live value of each point, whatever order messages come in, with its quality and kind', () => {
    const { intake } = centre();
    expect(intake.receive(topic('realtime'), envelope('realtime', [value('CO', 5, 2000), value('RUN', true, 2000), value('T', null, 2000, 0, 'Bad')]), 1)).toBeUndefined();
    // A late message (older source time) never replaces what is held.
    intake.receive(topic('realtime'), envelope('realtime', [value('CO', 9, 1000), value('RUN', false, 3000)]), 2);
    const latest = intake.latest.get(A)!;
    expect(latest.get('CO')).toEqual({ value: 5, quality: 'Good', time: 2000, alarmLevel: 0 });
    expect(latest.get('RUN')).toEqual({ value: false, quality: 'Good', time: 3000, alarmLevel: 0 });
    expect(latest.get('T')).toEqual({ value: null, quality: 'Bad', time: 2000, alarmLevel: 0 });
    expect(latest.size).toBe(3);
    expect([...latest.keys()]).toEqual(['CO', 'RUN', 'T']);
    expect(intake.pointInfo.get(A)?.get('CO')).toEqual({ name: undefined, unit: 'ppm' });
  });

  it('lets a replay fill history and the point list but set no live value; base data names the points', () => {
    const { intake } = centre();
    intake.receive(topic('realtime'), envelope('realtime', [value('CO', 7, 1000)], { historical: true }), 1);
    expect(intake.latest.get(A)?.get('CO')).toBeUndefined();
    expect(intake.pointInfo.get(A)?.has('CO')).toBe(true);
    const baseData = { fingerprint: 'a'.repeat(64), enterprise: { code: A, name: '甲' }, gateway: { code: 'gw-a' }, equipment: [], targets: [{ code: 'CO', name: '加压机房CO', unit: 'ppm', limits: {} }, { code: 'O2', name: '氧含量', unit: '%VOL', limits: {} }] };
    intake.receive(topic('basedata'), envelope('basedata', [], { baseData }), 2);
    expect([...intake.pointInfo.get(A)!]).toEqual([
      ['CO', { name: '加压机房CO', unit: 'ppm' }],
      ['O2', { name: '氧含量', unit: '%VOL' }],
    ]);
    intake.flush();
    expect(intake.history.trend(`${A}.CO`, 0, 10_000, 100).map((s) => s.value)).toEqual([7]);
  });

  it('keeps the points, their names and units and the gateway watermark across a restart of the centre', () => {
    const first = centre();
    first.intake.receive(topic('realtime'), envelope('realtime', [value('CO', 5, 1000), value('O2', 20.9, 1000)]), 1);
    const baseData = { fingerprint: 'b'.repeat(64), enterprise: { code: A, name: '甲' }, gateway: { code: 'gw-a' }, equipment: [], targets: [{ code: 'CO', name: '加压机房CO', unit: 'ppm', limits: {} }] };
    // Named by base data in the same second as it was first seen: the name is kept.
    first.intake.receive(topic('basedata'), envelope('basedata', [], { baseData }), 2);
    first.intake.flush();
    const again = centre(first.db);
    expect([...again.intake.pointInfo.get(A)!]).toEqual([
      ['CO', { name: '加压机房CO', unit: 'ppm' }],
      ['O2', { name: undefined, unit: 'ppm' }],
    ]);
    expect(again.intake.gateways.get(`${A}/gw-a`)).toMatchObject({ lastSeq: seq, online: false });
  });

  it('keeps one history sample per point a minute, and every change of alarm level', () => {
    const { intake } = centre();
    const t0 = 1_000_000;
    // Snapshots every 10 s for 3 minutes; the level goes to 2 at 95 s and back at 125 s.
    for (let t = t0; t < t0 + 3 * MIN; t += 10_000) {
      const level = t >= t0 + 95_000 && t < t0 + 125_000 ? 2 : 0;
      intake.receive(topic('realtime'), envelope('realtime', [value('CO', (t - t0) / 1000, t, level)]), t);
    }
    intake.flush();
    const kept = intake.history.trend(`${A}.CO`, t0, t0 + 4 * MIN, 1000).map((s) => s.ts - t0);
    expect(kept).toEqual([0, 60_000, 100_000, 130_000]);
  });
});

describe('centre intake: bounded batches', () => {
  it('writes a full batch of history and new points at once, and loses no sample or point of a snapshot larger than a batch', () => {
    const { intake, db } = centre();
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const n = 2 * FLUSH_BATCH + 500;
    const items = Array.from({ length: n }, (_, i) => value(`P${i}`, i, 5000));
    expect(intake.receive(topic('realtime'), envelope('realtime', items), 1)).toBeUndefined();
    // Two batches were full: written in the middle of the envelope, before the second's flush.
    expect(count('history_chunk')).toBe(2 * FLUSH_BATCH);
    expect(count('centre_point')).toBe(2 * FLUSH_BATCH);
    intake.flush();
    expect(count('history_chunk')).toBe(n);
    expect(count('centre_point')).toBe(n);
    expect(intake.latest.get(A)?.size).toBe(n);
    for (const i of [0, FLUSH_BATCH - 1, FLUSH_BATCH, 2 * FLUSH_BATCH, n - 1]) {
      expect(intake.history.trend(`${A}.P${i}`, 0, 10_000, 10).map((s) => s.value)).toEqual([i]);
    }
    // The next flush writes only what came since.
    intake.receive(topic('realtime'), envelope('realtime', [value('P0', 1, 70_000)]), 3);
    intake.flush();
    expect(count('history_chunk')).toBe(n + 1);
  });
});

describe('centre intake: a failing write', () => {
  it('counts and survives a flush that fails for a reason not the disk\'s (a missing table), and writes the next batch once it can (a full disk: disk-full.test.ts)', () => {
    const { intake, db, metrics } = centre();
    intake.receive(topic('realtime'), envelope('realtime', [value('CO', 5, 1000)]), 1);
    db.exec('ALTER TABLE history_chunk RENAME TO history_chunk_away');
    expect(() => intake.flushSafely()).not.toThrow();
    expect(metrics.counter('centre_intake_errors_total')).toBe(1);
    // Bigger than a batch: the full batches fail the same way in the middle of the envelope, which is applied all the same.
    const items = Array.from({ length: FLUSH_BATCH + 1 }, (_, i) => value(`P${i}`, i, 2000));
    expect(intake.receive(topic('realtime'), envelope('realtime', items), 3)).toBeUndefined();
    expect(metrics.counter('centre_intake_errors_total')).toBe(2);
    expect(intake.latest.get(A)?.size).toBe(FLUSH_BATCH + 2);
    db.exec('ALTER TABLE history_chunk_away RENAME TO history_chunk');
    intake.flushSafely();
    expect(metrics.counter('centre_intake_errors_total')).toBe(2);
    // Not the disk's failure: that batch is given up (one bad row must not block the rest); what came after is written.
    expect((db.prepare('SELECT count(*) AS n FROM history_chunk').get() as { n: number }).n).toBe(1);
  });
});

describe('centre intake: duplicates by the gateways\' watermarks', () => {
  const raw = (s: number, timestamp: number, dataId = randomUUID()) => Buffer.from(JSON.stringify({ dataId, seq: s, type: 'heartbeat', enterpriseCode: A, gatewayCode: 'gw-a', timestamp, historical: false, items: [] }));

  it('drops a resend, follows a queue reset, and still drops resends from the queue before it', () => {
    const { intake, metrics } = centre();
    const id5 = randomUUID();
    for (let s = 1; s <= 5; s++) expect(intake.receive(topic('heartbeat'), raw(s, 1000 + s, s === 5 ? id5 : undefined), 1)).toBeUndefined();
    // The same envelope again (a QoS 1 resend), and an older one arriving late: dropped.
    expect(intake.receive(topic('heartbeat'), raw(5, 1005, id5), 2)).toBe('duplicate');
    expect(intake.receive(topic('heartbeat'), raw(3, 1003), 2)).toBe('duplicate');
    // The gateway's queue starts again (new data directory): lower seq, newer time. Followed.
    expect(intake.receive(topic('heartbeat'), raw(1, 5000), 3)).toBeUndefined();
    expect(metrics.counter('centre_seq_resets_total')).toBe(1);
    // A resend from the old queue has a seq above the new watermark but lies under the old one.
    expect(intake.receive(topic('heartbeat'), raw(5, 1005, id5), 4)).toBe('duplicate');
    expect(intake.receive(topic('heartbeat'), raw(2, 5001), 5)).toBeUndefined();
    expect(metrics.counter('centre_duplicates_total')).toBe(3);
    expect(intake.gateways.get(`${A}/gw-a`)).toMatchObject({ lastSeq: 2, lastTimestamp: 5001 });
  });
});

/** The part of a ServerResponse the hub uses, recording what it writes. */
class RecordingResponse extends EventEmitter {
  text = '';
  writableLength = 0;
  writeHead(): this {
    return this;
  }
  write(t: string): boolean {
    this.text += t;
    return true;
  }
  end(): void {
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
  messages(): { id: number; event: string; data: Record<string, unknown> }[] {
    return [...this.text.matchAll(/^id: (\d+)\nevent: (\w+)\ndata: (.*)$/gm)].map((m) => ({ id: Number(m[1]), event: m[2]!, data: JSON.parse(m[3]!) as Record<string, unknown> }));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('centre live stream (GET /api/v1/centre/events)', () => {
  const alarm = (active: boolean, time: number) => ({ ...value('CO', active ? 300 : 5, time, active ? 4 : 0), alarmType: 'HH', alarmActive: active, alarmKey: 'k1', alarmStart: 1000, alarmState: active ? 'UNACK' : 'RTN_UNACK', alarmMessage: '一氧化碳浓度超高高限' });

  it('carries each live alarm and online change with the enterprise badges, replays after Last-Event-ID and resets a stale id', async () => {
    const { intake, register } = centre();
    const startedAt = Date.now();
    const feed = new CentreLiveFeed(intake, register, startedAt);
    feed.start();
    const hub = new SseHub(feed);
    hub.start();
    try {
      const first = new RecordingResponse();
      hub.open(first as unknown as ServerResponse, undefined, () => undefined);
      expect(first.messages()[0]).toMatchObject({ id: startedAt * 1000, event: 'hello' });
      intake.receive(topic('alarm'), envelope('alarm', [alarm(true, 1000)], { timestamp: 1000 }), 1100);
      // A replayed (historical) alarm reaches no console.
      intake.receive(topic('alarm'), envelope('alarm', [{ ...alarm(false, 1500), alarmKey: 'old' }], { historical: true }), 1200);
      await sleep(SSE_BATCH_MS * 3);
      const live = first.messages().slice(1);
      expect(live.map((m) => m.event)).toEqual(['online', 'alarm']);
      expect(live[0]!.data).toMatchObject({ enterpriseCode: A, gatewayCode: 'gw-a', online: true, gatewayOnline: true });
      expect(live[1]!.data).toMatchObject({ enterpriseCode: A, online: true, activeAlarms: { 1: 0, 2: 0, 3: 0, 4: 1 }, activation: true, sentAt: 1000, receivedAt: 1100, alarm: { alarmKey: 'k1', level: 4, active: true } });
      const lastSeen = live[1]!.id;

      // While the console is away the alarm clears and the gateway goes offline.
      first.end();
      intake.receive(topic('alarm'), envelope('alarm', [alarm(false, 6000)], { timestamp: 6000 }), 6100);
      intake.checkOffline(6100 + 90_000);
      const back = new RecordingResponse();
      hub.open(back as unknown as ServerResponse, lastSeen, () => undefined);
      const missed = back.messages();
      expect(missed.map((m) => [m.id, m.event])).toEqual([
        [lastSeen + 1, 'alarm'],
        [lastSeen + 2, 'online'],
      ]);
      expect(missed[0]!.data).toMatchObject({ activation: false, activeAlarms: { 4: 0 } });
      expect(missed[1]!.data).toMatchObject({ online: false, gatewayOnline: false });

      // An id from before this centre started, or older than what is kept: reset (the grid reloads).
      const stale = new RecordingResponse();
      hub.open(stale as unknown as ServerResponse, 42, () => undefined);
      expect(stale.messages()).toEqual([{ id: feed.lastSeq(), event: 'reset', data: {} }]);
    } finally {
      hub.stop();
      feed.stop();
    }
  });

  it('keeps the last CENTRE_LIVE_KEEP messages for replay', () => {
    const { intake, register } = centre();
    const feed = new CentreLiveFeed(intake, register, 1);
    feed.start();
    for (let i = 0; i < CENTRE_LIVE_KEEP * 2 + 10; i++) intake.receive(topic('alarm'), envelope('alarm', [{ ...alarm(i % 2 === 0, 1000 + i) }], { timestamp: 1000 + i }), 1000 + i);
    const last = feed.lastSeq();
    const tail = feed.missed(last - CENTRE_LIVE_KEEP, CENTRE_LIVE_KEEP + 1);
    expect(Array.isArray(tail) && tail.map((m) => m.seq)).toEqual(Array.from({ length: CENTRE_LIVE_KEEP }, (_, i) => last - CENTRE_LIVE_KEEP + 1 + i));
    expect(feed.missed(last - 2 * CENTRE_LIVE_KEEP, 10)).toBe('reset');
    expect(feed.missed(last, 10)).toEqual([]);
    feed.stop();
  });
});
