import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { WarningFeedback } from '../../core/platform-warning.js';
import { untrusted } from '../../core/untrusted-text.js';
import { isStorageError } from '../../store/storage-errors.js';
import type { WarningBook } from './warnings.js';

/** Feedback held at most while the disk refuses to record it (a county's feedback of days). */
export const MAX_HELD_FEEDBACK = 10_000;

export interface FeedbackArrival {
  enterpriseCode: string;
  feedback: WarningFeedback;
  at: number;
}

/**
 * Records the enterprises' feedback on warnings (签收, 处置中, 已反馈) in the warning book. A disk that
 * refuses the write (full, I/O error) must neither crash the centre nor lose a 已反馈 and leave the
 * warning wrongly overdue: the feedback is held, in order, and recorded by `retry()` (the service's
 * one-second timer) once the disk takes it; past MAX_HELD_FEEDBACK the oldest is dropped, counted.
 */
export class FeedbackRecorder {
  private held: FeedbackArrival[] = [];

  constructor(private readonly o: { warnings: WarningBook; log: Logger; metrics: Metrics }) {}

  record(e: FeedbackArrival): void {
    // Behind feedback already held: a later state never lands before an earlier one.
    if (this.held.length > 0 || !this.tryRecord(e)) this.hold(e);
  }

  /** Records what is held, in order, until the disk refuses again. */
  retry(): void {
    while (this.held.length > 0 && this.tryRecord(this.held[0]!)) this.held.shift();
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** False when the disk refused it (nothing recorded). */
  private tryRecord(e: FeedbackArrival): boolean {
    let refused: ReturnType<WarningBook['recordFeedback']>;
    try {
      refused = this.o.warnings.recordFeedback(e.enterpriseCode, e.feedback, e.at);
    } catch (err) {
      if (isStorageError(err)) return false;
      this.o.metrics.inc('centre_intake_errors_total');
      this.o.log.error('监测中心记录预警反馈失败 [feedback not recorded]', { warningId: untrusted(e.feedback.warningId), error: (err as Error).message });
      return true;
    }
    if (refused) {
      this.o.metrics.inc('centre_rejected_total', { reason: refused });
      this.o.log.warn('拒收预警反馈 [warning feedback refused]', { reason: refused, enterpriseCode: e.enterpriseCode, warningId: untrusted(e.feedback.warningId) });
    } else this.o.metrics.inc('centre_feedback_total', { state: e.feedback.state });
    return true;
  }

  private hold(e: FeedbackArrival): void {
    if (this.held.length === 0) this.o.log.error('监测中心数据库无法写入，预警反馈暂存内存 [feedback held: centre.db refuses writes]', { warningId: untrusted(e.feedback.warningId) });
    this.held.push(e);
    if (this.held.length > MAX_HELD_FEEDBACK) {
      this.held.shift();
      this.o.metrics.inc('centre_feedback_dropped_total');
    }
  }
}
