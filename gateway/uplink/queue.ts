import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { after } from '../core/timers.js';
import { randomUUID } from 'node:crypto';
import type { Db, Migration } from '../store/database.js';
import { migrate } from '../store/database.js';
import { isStorageError } from '../store/storage-errors.js';
import type { EnvelopeItem, EnvelopeType } from './envelope.js';

export const UPLINK_QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'uplink-queue-001',
    sql: `
      CREATE TABLE uplink_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: a seq is never reused, even after the queue drains
        data_id TEXT NOT NULL,               -- randomUUID: unique without the cost of an index
        type TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        historical INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL,
        items TEXT NOT NULL
      );
      CREATE INDEX uplink_queue_type ON uplink_queue (type, historical);
      CREATE INDEX uplink_queue_created ON uplink_queue (type, created_at);
    `,
  },
  {
    // Messages the platform refused while it accepted others: kept for the engineer, not resent.
    id: 'uplink-queue-002',
    sql: `
      CREATE TABLE uplink_dead_letter (
        seq INTEGER PRIMARY KEY, data_id TEXT NOT NULL, type TEXT NOT NULL, created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL, items TEXT NOT NULL, reason TEXT NOT NULL, dead_at INTEGER NOT NULL
      );
    `,
  },
];

/** A message the platform refused, as kept in uplink_dead_letter. */
export interface DeadLetter {
  seq: number;
  dataId: string;
  type: EnvelopeType;
  createdAt: number;
  attempts: number;
  itemsJson: string;
  reason: string;
  deadAt: number;
}

export interface QueuedMessage {
  seq: number;
  dataId: string;
  type: EnvelopeType;
  createdAt: number;
  historical: boolean;
  attempts: number;
  bytes: number;
  /** The items as stored (JSON; a basedata, hidden_danger or warning_feedback message's document): sent as they are, without a parse and re-serialisation. */
  itemsJson: string;
  /** Parsed on access. */
  readonly items: EnvelopeItem[];
}

interface Row {
  seq: number;
  data_id: string;
  type: string;
  created_at: number;
  historical: number;
  attempts: number;
  bytes: number;
  items: string;
}

export interface QueueBounds {
  maxBytes: number;
  maxAge: number;
}

export interface EnforceResult {
  /** Realtime messages removed to get under maxBytes. */
  thinned: number;
  /** Realtime and heartbeat messages removed because older than maxAge. */
  expired: number;
  /** Still over maxBytes with only alarms left (they are never dropped). */
  overLimitWithAlarmsOnly: boolean;
}

/**
 * The uplink's store-and-forward queue in SQLite. A message leaves it only when the platform
 * acknowledged it. Enqueues are group-committed: everything queued within `commitWindowMs` (or
 * `maxPending` messages) goes in one transaction, so a burst of alarms costs one fsync, not one
 * each (an fsync takes 1–5 ms on ordinary disks). A message becomes visible to the sender only
 * once committed.
 */
export interface UplinkQueueOptions {
  /** Longest a message waits in memory before its commit. Default 10 ms. */
  commitWindowMs?: number;
  /** Commit at once when this many messages are waiting. Default 5000. */
  maxPending?: number;
  /** Timers (virtual in tests); default asyncScheduler. */
  scheduler?: SchedulerLike;
  /**
   * Messages kept in memory while the disk refuses commits (full); beyond it enqueue refuses new
   * messages (counted in `rejected`). Default 10000.
   */
  maxHeld?: number;
}

/** The queue's storage failed (the error) or works again (undefined). */
export type QueueStorageListener = (error: unknown) => void;

export class UplinkQueue {
  private pending: { dataId: string; type: EnvelopeType; createdAt: number; historical: boolean; items: string }[] = [];
  private readonly committedListeners = new Set<() => void>();
  private bytes = 0;
  private count = 0;
  private readonly stmt;

  private readonly commitWindowMs: number;
  private readonly maxPending: number;
  private flushTimer: Subscription | undefined;
  private readonly scheduler: SchedulerLike;
  private readonly maxHeld: number;
  /** The last storage error while it lasts: commits are retried every second meanwhile. */
  private storageError: unknown;
  private readonly storageListeners = new Set<QueueStorageListener>();
  /** Messages refused because the disk was failing and maxHeld were already waiting. */
  rejected = 0;
  /** Highest acknowledged seq; rows up to it are deleted in groups (see ack). */
  private ackedThrough = 0;
  private ackedNotDeleted = 0;
  private ackTimer: Subscription | undefined;

  constructor(
    private readonly db: Db,
    options: UplinkQueueOptions = {},
  ) {
    this.commitWindowMs = options.commitWindowMs ?? 10;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.maxPending = options.maxPending ?? 5000;
    this.maxHeld = options.maxHeld ?? 10_000;
    migrate(db, UPLINK_QUEUE_MIGRATIONS);
    this.stmt = {
      insert: db.prepare('INSERT INTO uplink_queue (data_id, type, created_at, historical, bytes, items) VALUES (?, ?, ?, ?, ?, ?)'),
      head: db.prepare('SELECT * FROM uplink_queue WHERE seq > ? ORDER BY seq LIMIT 1'),
      peek: db.prepare('SELECT * FROM uplink_queue WHERE seq > ? ORDER BY seq LIMIT ?'),
      deleteAcked: db.prepare('DELETE FROM uplink_queue WHERE seq <= ?'),
      attempt: db.prepare('UPDATE uplink_queue SET attempts = attempts + 1, historical = 1 WHERE seq = ?'),
      allHistorical: db.prepare('UPDATE uplink_queue SET historical = 1 WHERE historical = 0'),
      totals: db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM uplink_queue'),
      // Alarms, hidden-danger records and warning feedback: a live one behind a backlog speeds the replay up.
      liveAlarm: db.prepare("SELECT 1 FROM uplink_queue WHERE type IN ('alarm', 'hidden_danger', 'warning_feedback') AND historical = 0 AND seq > ? LIMIT 1"),
      pendingHeartbeat: db.prepare("SELECT 1 FROM uplink_queue WHERE type = 'heartbeat' AND seq > ? LIMIT 1"),
      // The head's time: messages are queued in time order, and MIN(created_at) would scan the table.
      oldest: db.prepare('SELECT created_at AS t FROM uplink_queue WHERE seq > ? ORDER BY seq LIMIT 1'),
      // A centre's summary (type summary) is a snapshot too: expired by age and thinned like realtime.
      expire: db.prepare("DELETE FROM uplink_queue WHERE type IN ('realtime', 'heartbeat', 'summary') AND created_at < ? RETURNING bytes"),
      snapshotTimes: db.prepare("SELECT DISTINCT created_at AS t FROM uplink_queue WHERE type IN ('realtime', 'summary') ORDER BY created_at"),
      deleteSnapshot: db.prepare("DELETE FROM uplink_queue WHERE type IN ('realtime', 'summary') AND created_at = ? RETURNING bytes"),
      toDeadLetter: db.prepare(
        'INSERT INTO uplink_dead_letter (seq, data_id, type, created_at, attempts, items, reason, dead_at) SELECT seq, data_id, type, created_at, attempts, items, ?, ? FROM uplink_queue WHERE seq = ?',
      ),
      deleteOne: db.prepare('DELETE FROM uplink_queue WHERE seq = ?'),
      deadLetters: db.prepare('SELECT * FROM uplink_dead_letter ORDER BY seq'),
    };
    const t = this.stmt.totals.get() as { n: number; b: number };
    this.count = t.n;
    this.bytes = t.b;
  }

  /**
   * Queues a message; it is committed within commitWindowMs. Returns its dataId. `historical`
   * marks messages created while the link is down.
   */
  enqueue(type: EnvelopeType, items: EnvelopeItem[], createdAt: number, historical: boolean): string | undefined {
    return this.enqueueJson(type, JSON.stringify(items), createdAt, historical);
  }

  /**
   * As enqueue, with the body already as JSON: the items, or a document message's document
   * (basedata, hidden_danger, warning_feedback). Only realtime and heartbeat rows are ever thinned
   * or expired (enforce), so records and feedback stay until acknowledged, like alarms.
   */
  enqueueJson(type: EnvelopeType, json: string, createdAt: number, historical: boolean): string | undefined {
    if (this.storageError !== undefined && this.pending.length >= this.maxHeld) {
      this.rejected++;
      return undefined;
    }
    const dataId = randomUUID();
    this.pending.push({ dataId, type, createdAt, historical, items: json });
    if (this.storageError !== undefined) return dataId; // the retry timer commits it
    if (this.pending.length >= this.maxPending) this.flush();
    else if (!this.flushTimer) this.flushTimer = after(this.scheduler, this.commitWindowMs, () => this.flush());
    return dataId;
  }

  /**
   * Commits queued enqueues now (also called by stop()). A disk that refuses the commit (full) keeps
   * the messages waiting in memory, retried every second, and tells the storage listeners.
   */
  flush(): void {
    this.flushTimer?.unsubscribe();
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    if (!this.db.open) throw new Error(`uplink queue: database closed with ${this.pending.length} messages not yet committed`);
    const batch = this.pending;
    let added = 0;
    try {
      this.db.transaction(() => {
        for (const m of batch) {
          const bytes = Buffer.byteLength(m.items) + 200;
          this.stmt.insert.run(m.dataId, m.type, m.createdAt, m.historical ? 1 : 0, bytes, m.items);
          added += bytes;
        }
      })();
    } catch (err) {
      if (!this.storageFailed(err)) throw err;
      this.flushTimer = after(this.scheduler, 1000, () => this.flush());
      return;
    }
    this.pending = this.pending.slice(batch.length);
    this.count += batch.length;
    this.bytes += added;
    this.storageRecovered();
    for (const l of this.committedListeners) l();
  }

  /** Hears when the disk starts refusing commits (with the error) and when it takes them again (undefined). */
  onStorage(listener: QueueStorageListener): () => void {
    this.storageListeners.add(listener);
    return () => this.storageListeners.delete(listener);
  }

  /** True when the disk refuses commits now. */
  get storageFailing(): boolean {
    return this.storageError !== undefined;
  }

  /** Whether `err` is the disk's; if so the listeners hear it once per failure. */
  private storageFailed(err: unknown): boolean {
    if (!isStorageError(err)) return false;
    const first = this.storageError === undefined;
    this.storageError = err;
    if (first) for (const l of this.storageListeners) l(err);
    return true;
  }

  private storageRecovered(): void {
    if (this.storageError === undefined) return;
    this.storageError = undefined;
    for (const l of this.storageListeners) l(undefined);
  }

  /** Runs a write that may meet a full disk; false when the disk refused it (already reported). */
  private tryWrite(write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      if (!this.storageFailed(err)) throw err;
      return false;
    }
  }

  /** Called after every commit; the sender uses it to wake up. */
  onCommitted(listener: () => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  head(): QueuedMessage | undefined {
    const r = this.stmt.head.get(this.ackedThrough) as Row | undefined;
    return r ? toMessage(r) : undefined;
  }

  peek(limit: number): QueuedMessage[] {
    return (this.stmt.peek.all(this.ackedThrough, limit) as Row[]).map(toMessage);
  }

  /**
   * The platform acknowledged the head message: it is gone from head()/peek() at once, and its row
   * is deleted with the next few acks in one transaction. Messages are acknowledged strictly in
   * seq order, so the acknowledged ones are always a prefix. An fsync per ack would cap replay at a
   * few hundred messages a second; a crash before the delete commits only means a resend, which
   * the platform drops on dataId.
   */
  ack(m: Pick<QueuedMessage, 'seq' | 'bytes'>): void {
    if (m.seq <= this.ackedThrough) return;
    this.ackedThrough = m.seq;
    this.count--;
    this.bytes -= m.bytes;
    this.ackedNotDeleted++;
    if (this.ackedNotDeleted >= 500) this.deleteAcked();
    else if (!this.ackTimer) this.ackTimer = after(this.scheduler, 50, () => this.deleteAcked());
  }

  /** Deletes acknowledged rows now (called by stop() and before bounds are enforced). */
  deleteAcked(): void {
    this.ackTimer?.unsubscribe();
    this.ackTimer = undefined;
    if (this.ackedNotDeleted === 0 || !this.db.open) return;
    // Refused (disk full), the rows stay until a later ack deletes them; a restart would resend them.
    if (this.tryWrite(() => this.stmt.deleteAcked.run(this.ackedThrough))) this.ackedNotDeleted = 0;
  }

  /**
   * Moves the head message to the dead-letter table: it leaves the queue as an acknowledged one does
   * (the queue stays a prefix-acknowledged sequence), but its content and the platform's reason stay.
   */
  deadLetter(m: Pick<QueuedMessage, 'seq' | 'bytes'>, reason: string, now: number): void {
    if (m.seq <= this.ackedThrough) return;
    // On a full disk it leaves the queue in memory only; after a restart the platform sees it once more.
    this.tryWrite(() =>
      this.db.transaction(() => {
        this.stmt.toDeadLetter.run(reason, now, m.seq);
        this.stmt.deleteOne.run(m.seq);
      })(),
    );
    this.ackedThrough = m.seq;
    this.count--;
    this.bytes -= m.bytes;
  }

  deadLetters(): DeadLetter[] {
    return (this.stmt.deadLetters.all() as (Row & { reason: string; dead_at: number })[]).map((r) => ({
      seq: r.seq,
      dataId: r.data_id,
      type: r.type as EnvelopeType,
      createdAt: r.created_at,
      attempts: r.attempts,
      itemsJson: r.items,
      reason: r.reason,
      deadAt: r.dead_at,
    }));
  }

  /** A send failed: the message will go again, as historical. */
  failed(seq: number): void {
    this.tryWrite(() => this.stmt.attempt.run(seq));
  }

  /** The link went down or the gateway restarted: everything queued now is backlog (补传). */
  markAllHistorical(): void {
    this.tryWrite(() => this.stmt.allHistorical.run());
  }

  hasLiveAlarm(): boolean {
    return this.stmt.liveAlarm.get(this.ackedThrough) !== undefined;
  }

  hasPendingHeartbeat(): boolean {
    return this.pending.some((p) => p.type === 'heartbeat') || this.stmt.pendingHeartbeat.get(this.ackedThrough) !== undefined;
  }

  /**
   * Applies the age and size bounds. Size: drops every second realtime snapshot among the oldest
   * half of the queued snapshots, again until under maxBytes, so a long outage keeps coarser
   * coverage of the whole period instead of losing its start; alarms are never dropped.
   */
  enforce(bounds: QueueBounds, now: number): EnforceResult {
    this.deleteAcked();
    const result: EnforceResult = { thinned: 0, expired: 0, overLimitWithAlarmsOnly: false };
    const before = { count: this.count, bytes: this.bytes };
    const ok = this.tryWrite(() => this.db.transaction(() => {
      for (const r of this.stmt.expire.all(now - bounds.maxAge) as { bytes: number }[]) {
        result.expired++;
        this.count--;
        this.bytes -= r.bytes;
      }
      while (this.bytes > bounds.maxBytes) {
        const times = (this.stmt.snapshotTimes.all() as { t: number }[]).map((r) => r.t);
        if (times.length === 0) {
          result.overLimitWithAlarmsOnly = true;
          break;
        }
        const oldestHalf = times.slice(0, Math.max(1, Math.ceil(times.length / 2)));
        const victims = oldestHalf.length === 1 ? oldestHalf : oldestHalf.filter((_, i) => i % 2 === 1);
        for (const t of victims) {
          for (const r of this.stmt.deleteSnapshot.all(t) as { bytes: number }[]) {
            result.thinned++;
            this.count--;
            this.bytes -= r.bytes;
          }
          if (this.bytes <= bounds.maxBytes) break;
        }
      }
    })());
    if (!ok) {
      // Rolled back: nothing was removed.
      this.count = before.count;
      this.bytes = before.bytes;
      return { thinned: 0, expired: 0, overLimitWithAlarmsOnly: false };
    }
    return result;
  }

  get size(): number {
    return this.count + this.pending.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  oldestCreatedAt(): number | undefined {
    const r = this.stmt.oldest.get(this.ackedThrough) as { t: number } | undefined;
    return r?.t;
  }
}

function toMessage(r: Row): QueuedMessage {
  return {
    seq: r.seq,
    dataId: r.data_id,
    type: r.type as EnvelopeType,
    createdAt: r.created_at,
    historical: r.historical === 1,
    attempts: r.attempts,
    bytes: r.bytes,
    itemsJson: r.items,
    get items(): EnvelopeItem[] {
      return JSON.parse(r.items) as EnvelopeItem[];
    },
  };
}
