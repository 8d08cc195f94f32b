import type { Metrics } from '../../core/metrics.js';
import type { RateLimitedLog } from '../../core/rate-limited-log.js';
import type { Db } from '../../store/database.js';
import { isStorageError } from '../../store/storage-errors.js';
import type { HistoryStore } from '../history/history-store.js';
import type { PointTable } from './point-table.js';
import { SampleBatch, SlotBatch } from './sample-batch.js';

/**
 * History samples (and new points) written at most this many at a time: a full batch is written at
 * once instead of waiting for the second's flush, so the first snapshots of a whole fleet (400,000
 * new points within seconds at 2,000 gateways, or at once after a county-wide outage) make many
 * small transactions of bounded work and garbage, not one that grows with the fleet.
 */
export const FLUSH_BATCH = 4096;

/** While the disk refuses writes, the held rows are tried again after 1 s, doubling up to 30 s. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** The fields of an enterprise alarm occurrence that centre_alarm keeps. */
export interface AlarmRow {
  enterpriseCode: string;
  alarmKey: string;
  gatewayCode: string;
  pointCode: string;
  alarmType: string;
  level: number;
  active: boolean;
  state: string | undefined;
  message: string | undefined;
  startedAt: number;
  updatedAt: number;
}

/** A gateway's dedup watermark as centre_gateway keeps it. */
export interface GatewayWatermark {
  enterpriseCode: string;
  gatewayCode: string;
  lastSeq: number;
  lastTimestamp: number;
  lastSeen: number | undefined;
}

/** One row of centre_alarm_event, in column order. */
export type AlarmEventRow = [string, string, string, string, string, number, number, string | null, string | null, number, number];

/** A hidden-danger report to upsert: its revision decides, an older one never replaces a newer. */
export interface DangerRow {
  enterpriseCode: string;
  dangerId: string;
  revision: number;
  state: string;
  level: string;
  deadline: number | null;
  report: string;
}

/** What the intake holds in memory because the disk refuses it. */
export interface HeldWrites {
  samples: number;
  alarmEvents: number;
  /** Dropped, oldest first, since the disk started refusing: over holdSamples / holdAlarmEvents. */
  droppedSamples: number;
  droppedAlarmEvents: number;
}

export type StorageListener = (failure: { error: unknown; held: HeldWrites } | undefined) => void;

export interface IntakeWritesOptions {
  db: Db;
  history: HistoryStore;
  metrics: Metrics;
  log: RateLimitedLog;
  now: () => number;
  /** History samples held in memory at most while the disk refuses writes; the oldest go first. */
  holdSamples: number;
  /** Alarm log rows held at most (far more than a county produces in hours). */
  holdAlarmEvents: number;
  /** The disk started refusing writes (with the error), or takes them again (undefined). */
  onStorage?: StorageListener;
}

/**
 * The centre's rows on their way to centre.db: history samples, the alarm log, point names, alarm
 * occurrences, hidden dangers and gateway watermarks, written in one transaction a second (or when a
 * batch is full).
 *
 * A disk that refuses the write (full, I/O error) loses nothing at first: the rows stay in memory
 * and are written in order once it takes them again, tried after 1 s and then less often (up to every
 * 30 s, as one attempt re-encodes everything held). What is held is bounded: past `holdSamples` the
 * oldest history batches are dropped, past `holdAlarmEvents` the oldest alarm log rows, both counted;
 * point names, alarm states, dangers and watermarks are one row per thing and are never dropped.
 * The enterprises' live state and the console go on throughout.
 */
export class IntakeWrites {
  private hist = new SampleBatch(FLUSH_BATCH);
  private newPoints = new SlotBatch(FLUSH_BATCH);
  /** Batches waiting for the next write, oldest first (one in normal running; more while the disk refuses). */
  private readonly heldHist: SampleBatch[] = [];
  private readonly heldNewPoints: SlotBatch[] = [];
  /** One emptied batch of each kind, reused: a steady second's flush allocates no batch. */
  private spareHist: SampleBatch | undefined;
  private spareNewPoints: SlotBatch | undefined;
  private events: AlarmEventRow[] = [];
  private readonly named = new Map<string, [string, string, string | null, string | null]>();
  private readonly alarms = new Set<AlarmRow>();
  private readonly gateways = new Set<GatewayWatermark>();
  private readonly dangers = new Map<string, DangerRow>();
  private failure: unknown;
  private retryAt = 0;
  private retryDelay = RETRY_FIRST_MS;
  private dropped = { samples: 0, alarmEvents: 0 };
  private readonly stmt;

  constructor(private readonly o: IntakeWritesOptions) {
    const db = o.db;
    this.stmt = {
      saveGateway: db.prepare('UPDATE centre_gateway SET last_seq = ?, last_timestamp = ?, last_seen = ? WHERE enterprise_code = ? AND code = ?'),
      savePoint: db.prepare('INSERT INTO centre_point (enterprise_code, point_code, name, unit) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name, unit = excluded.unit'),
      saveAlarm: db.prepare(
        `INSERT INTO centre_alarm (enterprise_code, alarm_key, gateway_code, point_code, alarm_type, level, active, state, message, started_at, updated_at)
         VALUES (@enterpriseCode, @alarmKey, @gatewayCode, @pointCode, @alarmType, @level, @active, @state, @message, @startedAt, @updatedAt)
         ON CONFLICT DO UPDATE SET level = excluded.level, active = excluded.active, state = excluded.state, message = excluded.message, updated_at = excluded.updated_at`,
      ),
      alarmEvent: db.prepare(
        'INSERT INTO centre_alarm_event (enterprise_code, gateway_code, alarm_key, point_code, alarm_type, level, active, state, message, ts, historical) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      saveDanger: db.prepare(
        `INSERT INTO centre_hidden_danger (enterprise_code, danger_id, revision, state, level, deadline, report) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET revision = excluded.revision, state = excluded.state, level = excluded.level, deadline = excluded.deadline, report = excluded.report
         WHERE excluded.revision > centre_hidden_danger.revision`,
      ),
    };
  }

  /** A history sample of a point (its slot in the enterprise's table). */
  sample(table: PointTable, slot: number, ts: number, value: number, quality: number): void {
    if (this.hist.full) this.batchFull();
    this.hist.add(table, slot, ts, value, quality);
  }

  /** A point first seen in a snapshot (saved with its unit; base data names it later). */
  newPoint(table: PointTable, slot: number): void {
    if (this.newPoints.full) this.batchFull();
    this.newPoints.push(table, slot);
  }

  /** A point's name and unit from base data (the latest per point is written). */
  namedPoint(enterpriseCode: string, pointCode: string, name: string | null, unit: string | null): void {
    this.named.set(`${enterpriseCode}\u0000${pointCode}`, [enterpriseCode, pointCode, name, unit]);
  }

  alarmEvent(row: AlarmEventRow): void {
    this.events.push(row);
  }

  /** An alarm occurrence's new state (`replaced`: the object it supersedes, not to be written). */
  alarm(row: AlarmRow, replaced?: AlarmRow): void {
    if (replaced) this.alarms.delete(replaced);
    this.alarms.add(row);
  }

  gateway(w: GatewayWatermark): void {
    this.gateways.add(w);
  }

  danger(row: DangerRow): void {
    const key = `${row.enterpriseCode}\u0000${row.dangerId}`;
    const held = this.dangers.get(key);
    if (!held || held.revision < row.revision) this.dangers.set(key, row);
  }

  /** True while the disk refuses the writes. */
  get storageFailing(): boolean {
    return this.failure !== undefined;
  }

  get held(): HeldWrites {
    let samples = this.hist.length;
    for (const b of this.heldHist) samples += b.length;
    return { samples, alarmEvents: this.events.length, droppedSamples: this.dropped.samples, droppedAlarmEvents: this.dropped.alarmEvents };
  }

  /**
   * Writes everything pending in one transaction. While the disk refuses writes, it is tried again
   * only when the retry time has come or `retryNow` (earlier calls keep holding). Throws only what is not the
   * disk's (a bug): that batch is then lost, as in a crash, so one bad row cannot block the rest.
   */
  flush(retryNow = false): void {
    this.park();
    if (this.failure !== undefined && !retryNow && this.o.now() < this.retryAt) {
      this.bound();
      return;
    }
    if (this.empty()) return;
    try {
      this.o.db.transaction(() => this.writeAll())();
    } catch (err) {
      if (isStorageError(err)) return this.refused(err);
      this.o.metrics.inc('centre_intake_errors_total');
      this.clear();
      throw err;
    }
    this.clear();
    this.recovered();
  }

  /** flush() for timers and a full batch in the middle of an envelope: nothing escapes. */
  flushSafely(): void {
    try {
      this.flush();
    } catch (err) {
      this.o.log.error('flush', '监测中心写入历史数据失败 [centre flush failed]', { error: (err as Error).message });
    }
  }

  /** A full batch in the middle of an envelope: written now, or put with the held ones while the disk refuses. */
  private batchFull(): void {
    if (this.failure === undefined) return this.flushSafely();
    this.park();
    this.bound();
  }

  /** Moves the filling batches to the held ones, so the filling ones are empty. */
  private park(): void {
    if (this.hist.length > 0) {
      this.heldHist.push(this.hist);
      this.hist = this.spareHist ?? new SampleBatch(FLUSH_BATCH);
      this.spareHist = undefined;
    }
    if (this.newPoints.length > 0) {
      this.heldNewPoints.push(this.newPoints);
      this.newPoints = this.spareNewPoints ?? new SlotBatch(FLUSH_BATCH);
      this.spareNewPoints = undefined;
    }
  }

  private empty(): boolean {
    return this.heldHist.length === 0 && this.heldNewPoints.length === 0 && this.events.length === 0 && this.named.size === 0 && this.alarms.size === 0 && this.gateways.size === 0 && this.dangers.size === 0;
  }

  private writeAll(): void {
    for (const b of this.heldHist) this.o.history.write(b.rows());
    for (const ev of this.events) this.stmt.alarmEvent.run(...ev);
    // Points first seen in a snapshot before base data rows: base data names them, and comes later.
    for (const b of this.heldNewPoints) {
      for (let i = 0; i < b.length; i++) {
        const t = b.tableAt(i);
        const slot = b.slotAt(i);
        this.stmt.savePoint.run(t.enterpriseCode, t.codeAt(slot), null, t.unitAt(slot) ?? null);
      }
    }
    for (const p of this.named.values()) this.stmt.savePoint.run(...p);
    for (const a of this.alarms) this.stmt.saveAlarm.run({ ...a, active: a.active ? 1 : 0, state: a.state ?? null, message: a.message ?? null });
    for (const d of this.dangers.values()) this.stmt.saveDanger.run(d.enterpriseCode, d.dangerId, d.revision, d.state, d.level, d.deadline, d.report);
    for (const g of this.gateways) this.stmt.saveGateway.run(g.lastSeq, g.lastTimestamp, g.lastSeen ?? null, g.enterpriseCode, g.gatewayCode);
  }

  /** Everything pending was written (or given up): batches back to the spares, the rest emptied. */
  private clear(): void {
    for (const b of this.heldHist.splice(0)) {
      b.clear();
      this.spareHist = b;
    }
    for (const b of this.heldNewPoints.splice(0)) {
      b.clear();
      this.spareNewPoints = b;
    }
    this.events = [];
    this.named.clear();
    this.alarms.clear();
    this.gateways.clear();
    this.dangers.clear();
  }

  private refused(err: unknown): void {
    const first = this.failure === undefined;
    this.failure = err;
    this.retryAt = this.o.now() + this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    this.o.metrics.inc('centre_storage_errors_total');
    this.bound();
    if (first) this.o.onStorage?.({ error: err, held: this.held });
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.retryDelay = RETRY_FIRST_MS;
    this.dropped = { samples: 0, alarmEvents: 0 };
    this.o.onStorage?.(undefined);
  }

  /** Drops the oldest held history batches and alarm log rows past the bounds, counted. */
  private bound(): void {
    let samples = this.held.samples;
    let droppedNow = 0;
    while (samples > this.o.holdSamples && this.heldHist.length > 0) {
      const b = this.heldHist.shift()!;
      samples -= b.length;
      droppedNow += b.length;
      this.dropped.samples += b.length;
      this.o.metrics.inc('centre_history_dropped_total', undefined, b.length);
    }
    const over = this.events.length - this.o.holdAlarmEvents;
    if (over > 0) {
      this.events.splice(0, over);
      droppedNow += over;
      this.dropped.alarmEvents += over;
      this.o.metrics.inc('centre_alarm_events_dropped_total', undefined, over);
    }
    if (droppedNow > 0) {
      this.o.log.error('held_dropped', '监测中心磁盘持续无法写入，最旧的暂存数据已丢弃 [centre disk still refusing writes: oldest held rows dropped]', { ...this.held });
    }
  }
}
