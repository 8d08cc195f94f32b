import { createHash } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { platformWarningSchema, type PlatformWarning } from '../core/platform-warning.js';
import { untrustedText } from '../core/untrusted-text.js';
import { migrate, type Db, type Migration } from '../store/database.js';
import { isStorageError } from '../store/storage-errors.js';

export const WARNING_INBOX_MIGRATIONS: readonly Migration[] = [
  {
    // Every warning received from the platform, by warningId: the dedup key survives restarts.
    id: 'uplink-warnings-001',
    sql: `
      CREATE TABLE uplink_warnings (
        warning_id TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL,
        origin TEXT NOT NULL,              -- the MQTT topic or poll URL it came from
        warning TEXT NOT NULL,             -- the warning as parsed (JSON)
        fed_back_at INTEGER                -- first feedback queued for it; NULL: not handed over yet
      );
    `,
  },
];

/** Why a warning from the platform was refused; the label of `uplink_warnings_rejected_total`. */
export type WarningRejection = 'json' | 'schema' | 'enterprise' | 'gateway';

export type WarningOutcome =
  | { outcome: 'new' | 'duplicate'; warningId: string }
  | { outcome: 'rejected'; reason: WarningRejection }
  /** The disk refused the write: not received; the platform must deliver it again (no PUBACK, no ack). */
  | { outcome: 'failed'; error: string };

export interface WarningInboxOptions {
  db: Db;
  enterpriseCode: string;
  gatewayCode: string;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
}

/**
 * Warnings pushed down by the platform, whatever the profile: parsed (zod), checked to be for this
 * enterprise (and gateway, when the warning names one), deduplicated on warningId in SQLite (a
 * warning sent again, polled again or redelivered after a restart opens nothing new), then handed
 * to the subscribers of `warnings$`. A profile acknowledges receipt to the platform only after
 * `accept` returned new or duplicate: the warning is on disk by then.
 *
 * `warnings$` also hands over, on subscription, the stored warnings no feedback was queued for yet:
 * a warning received while nobody listened, or just before a crash, is not lost to the hidden-danger
 * service. That service dedups on warningId (as records do on their dedup key).
 */
export class WarningInbox {
  private readonly live = new Subject<PlatformWarning>();
  readonly warnings$: Observable<PlatformWarning>;
  /** Fingerprints of refused payloads: one polled again and again is counted and logged once. */
  private readonly refusedSeen = new Set<string>();
  private readonly stmt;
  private readonly log: Logger;

  constructor(private readonly o: WarningInboxOptions) {
    migrate(o.db, WARNING_INBOX_MIGRATIONS);
    this.log = o.logger;
    this.stmt = {
      insert: o.db.prepare('INSERT INTO uplink_warnings (warning_id, received_at, origin, warning) VALUES (?, ?, ?, ?) ON CONFLICT (warning_id) DO NOTHING'),
      unanswered: o.db.prepare('SELECT warning FROM uplink_warnings WHERE fed_back_at IS NULL ORDER BY received_at, rowid'),
      fedBack: o.db.prepare('UPDATE uplink_warnings SET fed_back_at = ? WHERE warning_id = ? AND fed_back_at IS NULL'),
    };
    this.warnings$ = new Observable<PlatformWarning>((subscriber) => {
      // Synchronous: nothing can arrive between the stored ones and the live subscription.
      const stored = (this.stmt.unanswered.all() as { warning: string }[]).map((r) => JSON.parse(r.warning) as PlatformWarning);
      const sub = this.live.subscribe(subscriber);
      for (const w of stored) subscriber.next(w);
      return sub;
    });
  }

  /** One warning as received from `origin` (topic or URL): a JSON text or an already parsed value. */
  accept(raw: unknown, origin: string): WarningOutcome {
    let value: unknown = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      const text = raw.toString();
      try {
        value = JSON.parse(text);
      } catch {
        return this.refuse('json', origin, text, 'payload is not JSON');
      }
    }
    const parsed = platformWarningSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return this.refuse('schema', origin, value, `${issue.path.join('.') || '(root)'}: ${issue.message}`, issue.path.join('.'));
    }
    const w = parsed.data;
    if (w.enterpriseCode !== this.o.enterpriseCode) return this.refuse('enterprise', origin, value, `enterpriseCode ${w.enterpriseCode} is not this enterprise (${this.o.enterpriseCode})`, 'enterpriseCode');
    if (w.gatewayCode !== undefined && w.gatewayCode !== this.o.gatewayCode) return this.refuse('gateway', origin, value, `gatewayCode ${w.gatewayCode} is not this gateway (${this.o.gatewayCode})`, 'gatewayCode');
    let inserted: boolean;
    try {
      inserted = this.stmt.insert.run(w.warningId, this.o.now(), origin, JSON.stringify(w)).changes === 1;
    } catch (err) {
      if (!isStorageError(err)) throw err;
      this.o.metrics.inc('uplink_warnings_store_failures_total');
      this.log.error('平台预警无法写入磁盘，未签收，等待平台重发', { origin, warningId: w.warningId, error: (err as Error).message });
      return { outcome: 'failed', error: (err as Error).message };
    }
    if (!inserted) {
      this.o.metrics.inc('uplink_warnings_duplicates_total');
      this.log.debug('重复的平台预警已忽略', { origin, warningId: w.warningId });
      return { outcome: 'duplicate', warningId: w.warningId };
    }
    this.o.metrics.inc('uplink_warnings_received_total', { level: String(w.level) });
    this.log.info('收到平台预警', { origin, warningId: w.warningId, level: w.level, kind: w.kind, title: w.title, issuer: w.issuer });
    this.live.next(w);
    return { outcome: 'new', warningId: w.warningId };
  }

  /** Feedback on the warning was queued: it is handed over, not offered again on the next subscription. */
  fedBack(warningId: string, at: number): void {
    try {
      this.stmt.fedBack.run(at, warningId);
    } catch (err) {
      // Only costs a second hand-over after a restart; the service dedups on warningId.
      if (!isStorageError(err)) throw err;
    }
  }

  close(): void {
    this.live.complete();
  }

  private refuse(reason: WarningRejection, origin: string, payload: unknown, problem: string, field?: string): WarningOutcome {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? String(payload);
    const key = createHash('sha256').update(`${origin}\n${text}`).digest('hex');
    if (!this.refusedSeen.has(key)) {
      if (this.refusedSeen.size >= 10_000) this.refusedSeen.clear();
      this.refusedSeen.add(key);
      this.o.metrics.inc('uplink_warnings_rejected_total', { reason });
      this.log.warn('平台预警格式错误，已拒收', { origin, ...(field !== undefined ? { field } : {}), problem: untrustedText(problem, 300), payload: untrustedText(text, 300) });
    }
    return { outcome: 'rejected', reason };
  }
}
