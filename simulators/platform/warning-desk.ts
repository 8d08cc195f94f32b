import { platformWarningSchema, type FeedbackState, type PlatformWarning, type WarningFeedback } from '../../gateway/core/platform-warning.js';
import { dangerStateCode, type HiddenDangerReport } from '../../gateway/core/hidden-danger.js';
import type { DangerRecord } from '../../gateway/uplink/danger-record.js';
import type { PlatformProfile } from './endpoint-host.js';

/** Where one issued warning stands: pending until the enterprise feeds back; the latest feedback's state after. */
export interface WarningStatus {
  warning: PlatformWarning;
  /** When a gateway acknowledged receipt over an HTTP poll (MQTT: the broker's PUBACK is not seen here). */
  receiptAt?: number;
  /** `pending`: no feedback yet; else the latest feedback's state (received, in_hand, answered). */
  state: 'pending' | FeedbackState;
  feedback: WarningFeedback[];
}

/** The latest state of one hidden-danger record, as the platform keeps it. */
export interface DangerOnFile {
  profile: PlatformProfile;
  dangerId: string;
  revision: number;
  /** DANGER_STATE: 0 整改中, 1 待验收, 9 已验收. */
  stateCode: string;
  /** The contract document (mqtt) or the interface record (government profiles). */
  report?: HiddenDangerReport;
  record?: DangerRecord;
  /** Every revision received, in arrival order. */
  revisions: number[];
}

/**
 * The platform's side of warnings (预警推送与反馈): what it issued, what its poll endpoints still
 * hand out (until a gateway acknowledges receipt), the feedback each warning got, and the
 * hidden-danger records on file. `report()` is what the platform's officer sees: pending or answered.
 */
export class WarningDesk {
  private readonly issued = new Map<string, WarningStatus>();
  /** Handed out by the poll endpoints until acknowledged; may hold malformed payloads (issueRaw). */
  private outbox: { warningId: string | undefined; payload: unknown }[] = [];
  readonly dangers = new Map<string, DangerOnFile>();
  /** Receipt acknowledgements naming a warning the platform never handed out. */
  readonly unknownAcks: string[] = [];
  /** While true the receipt endpoints answer HTTP 500 (a receipt lost on the way): the warnings stay pending. */
  failReceipts = false;
  /** Receipts answered with 500 while failReceipts was set. */
  failedReceipts = 0;

  /** Issues a valid warning (throws on an invalid one: the simulator's caller made a mistake). */
  issue(warning: PlatformWarning): PlatformWarning {
    const w = platformWarningSchema.parse(warning);
    if (this.issued.has(w.warningId)) throw new Error(`warning ${w.warningId} issued twice`);
    this.issued.set(w.warningId, { warning: w, state: 'pending', feedback: [] });
    this.outbox.push({ warningId: w.warningId, payload: w });
    return w;
  }

  /** Hands out any payload over the poll endpoints, untracked (a malformed warning, for tests). */
  issueRaw(payload: unknown): void {
    const id = typeof payload === 'object' && payload !== null ? (payload as { warningId?: unknown }).warningId : undefined;
    this.outbox.push({ warningId: typeof id === 'string' ? id : undefined, payload });
  }

  /** What a poll returns now: every payload not yet acknowledged (the same again until it is). */
  pending(): unknown[] {
    return this.outbox.map((o) => o.payload);
  }

  /** A gateway acknowledged receipt of these warnings: they leave the poll list. */
  acknowledge(warningIds: readonly string[], at = Date.now()): void {
    for (const id of warningIds) {
      const before = this.outbox.length;
      this.outbox = this.outbox.filter((o) => o.warningId !== id);
      const status = this.issued.get(id);
      if (status) status.receiptAt ??= at;
      if (before === this.outbox.length && !status) this.unknownAcks.push(id);
    }
  }

  /** The problem with a feedback, checked before it is accepted; undefined when fine. */
  feedbackProblem(f: WarningFeedback): string | undefined {
    if (!this.issued.has(f.warningId)) return `反馈的预警不存在 (no warning ${f.warningId} was issued)`;
    return undefined;
  }

  addFeedback(f: WarningFeedback): void {
    const status = this.issued.get(f.warningId);
    if (!status) return;
    status.feedback.push(f);
    status.state = f.state;
  }

  addDanger(profile: PlatformProfile, doc: { report: HiddenDangerReport } | { record: DangerRecord }): void {
    const id = 'report' in doc ? doc.report.dangerId : doc.record.DANGER_ID;
    const revision = 'report' in doc ? doc.report.revision : doc.record.REVISION;
    const stateCode = 'report' in doc ? dangerStateCode(doc.report.state) : doc.record.DANGER_STATE;
    const earlier = this.dangers.get(id);
    const revisions = [...(earlier?.revisions ?? []), revision];
    // The latest revision wins; an older one arriving late changes nothing but is noted.
    if (earlier && earlier.revision >= revision) {
      earlier.revisions = revisions;
      return;
    }
    this.dangers.set(id, { profile, dangerId: id, revision, stateCode, ...('report' in doc ? { report: doc.report } : { record: doc.record }), revisions });
  }

  /** Every issued warning and where it stands, in issue order. */
  report(): WarningStatus[] {
    return [...this.issued.values()];
  }

  /** Warnings still waiting for the enterprise's final answer (pending, received or in hand). */
  unanswered(): WarningStatus[] {
    return this.report().filter((s) => s.state !== 'answered');
  }
}
