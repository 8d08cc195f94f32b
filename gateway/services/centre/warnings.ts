import { randomUUID } from 'node:crypto';
import { platformWarningSchema, type PlatformWarning, type WarningFeedback } from '../../core/platform-warning.js';
import type { Db } from '../../store/database.js';
import type { WarningCandidate } from './centre-rules.js';

/** Where a warning stands: pending (no feedback yet), received (已签收), in_hand (处置中), answered (已反馈). */
export type WarningStatus = 'pending' | 'received' | 'in_hand' | 'answered';
/** What a screen shows: the status, or overdue when the deadline passed without an answer. */
export type WarningTrack = WarningStatus | 'overdue';

export const WARNING_TRACK_NAMES: Record<WarningTrack, string> = { pending: '待签收', received: '已签收', in_hand: '处置中', answered: '已反馈', overdue: '逾期未反馈' };

export interface TrackedWarning {
  warning: PlatformWarning;
  status: WarningStatus;
  track: WarningTrack;
  publishedAt: number | undefined;
  feedback: WarningFeedback | undefined;
  feedbackAt: number | undefined;
}

interface WarningRow {
  warning_id: string;
  document: string;
  status: WarningStatus;
  published_at: number | null;
  feedback: string | null;
  feedback_at: number | null;
  deadline: number;
}

/** Feedback moves a warning forward only: a late "received" never undoes "answered". */
const ORDER: Record<WarningStatus, number> = { pending: 0, received: 1, in_hand: 2, answered: 3 };

/** The centre's warnings (预警) and their feedback, in centre_warning. */
export class WarningBook {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      insert: db.prepare(
        'INSERT OR IGNORE INTO centre_warning (warning_id, dedup_key, enterprise_code, gateway_code, kind, level, document, issued_at, deadline, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byKey: db.prepare('SELECT 1 FROM centre_warning WHERE dedup_key = ?'),
      get: db.prepare('SELECT * FROM centre_warning WHERE warning_id = ?'),
      list: db.prepare('SELECT * FROM centre_warning WHERE (@ent IS NULL OR enterprise_code = @ent) AND issued_at >= @since ORDER BY issued_at DESC LIMIT @limit'),
      unpublished: db.prepare('SELECT * FROM centre_warning WHERE published_at IS NULL ORDER BY issued_at'),
      published: db.prepare('UPDATE centre_warning SET published_at = ? WHERE warning_id = ?'),
      feedback: db.prepare('UPDATE centre_warning SET status = ?, feedback = ?, feedback_at = ? WHERE warning_id = ?'),
    };
  }

  private track(r: WarningRow, now: number): TrackedWarning {
    const feedback = r.feedback ? (JSON.parse(r.feedback) as WarningFeedback) : undefined;
    return {
      warning: JSON.parse(r.document) as PlatformWarning,
      status: r.status,
      track: r.status !== 'answered' && now > r.deadline ? 'overdue' : r.status,
      publishedAt: r.published_at ?? undefined,
      feedback,
      feedbackAt: r.feedback_at ?? undefined,
    };
  }

  /** Opens a warning unless its situation (dedupKey) already has one; returns the new warning. */
  open(c: WarningCandidate, issuer: string, now: number, feedbackWithin: number): PlatformWarning | undefined {
    if (this.stmt.byKey.get(c.dedupKey)) return undefined;
    const warning = platformWarningSchema.parse({
      warningId: randomUUID(),
      enterpriseCode: c.enterpriseCode,
      ...(c.gatewayCode !== undefined ? { gatewayCode: c.gatewayCode } : {}),
      issuer,
      issuedAt: now,
      level: c.level,
      kind: c.kind,
      title: c.title.slice(0, 200),
      content: c.content.slice(0, 2000),
      ...(c.pointCode !== undefined ? { pointCode: c.pointCode.slice(0, 64) } : {}),
      ...(c.alarmKey !== undefined ? { alarmKey: c.alarmKey.slice(0, 128) } : {}),
      feedbackDeadline: now + feedbackWithin,
    });
    this.stmt.insert.run(warning.warningId, c.dedupKey, c.enterpriseCode, c.gatewayCode ?? null, c.kind, c.level, JSON.stringify(warning), now, now + feedbackWithin, 'pending');
    return warning;
  }

  get(warningId: string, now: number): TrackedWarning | undefined {
    const r = this.stmt.get.get(warningId) as WarningRow | undefined;
    return r && this.track(r, now);
  }

  list(now: number, filter: { enterpriseCode?: string | undefined; since?: number | undefined; limit?: number | undefined } = {}): TrackedWarning[] {
    return (this.stmt.list.all({ ent: filter.enterpriseCode ?? null, since: filter.since ?? 0, limit: filter.limit ?? 1000 }) as WarningRow[]).map((r) => this.track(r, now));
  }

  unpublished(): PlatformWarning[] {
    return (this.stmt.unpublished.all() as WarningRow[]).map((r) => JSON.parse(r.document) as PlatformWarning);
  }

  markPublished(warningId: string, at: number): void {
    this.stmt.published.run(at, warningId);
  }

  /**
   * Records feedback from the enterprise the warning was sent to. Returns why it was refused:
   * an unknown warning, or feedback from another enterprise.
   */
  recordFeedback(enterpriseCode: string, f: WarningFeedback, at: number): 'unknown_warning' | 'wrong_enterprise' | undefined {
    const r = this.stmt.get.get(f.warningId) as (WarningRow & { enterprise_code: string }) | undefined;
    if (!r) return 'unknown_warning';
    if (r.enterprise_code !== enterpriseCode) return 'wrong_enterprise';
    if (ORDER[f.state] < ORDER[r.status]) return undefined;
    this.stmt.feedback.run(f.state, JSON.stringify(f), at, f.warningId);
    return undefined;
  }
}
