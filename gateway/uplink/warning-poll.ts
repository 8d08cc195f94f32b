import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { RateLimitedLog } from '../core/rate-limited-log.js';
import type { WarningReceiver } from './profiles/profile.js';

/** How often an HTTP profile asks the platform for new warnings. */
export const pollIntervalSchema = durationSchema.default(30_000);

/** The list a poll answers with: each entry is checked on its own (one bad warning spoils nothing else). */
export const polledWarningsSchema = z.array(z.unknown());

export interface WarningPollerOptions {
  profile: string;
  /** Where it polls (for logs and the warning's origin), without secrets. */
  url: string;
  intervalMs: number;
  /** One poll: the platform's list of warnings, each as it came. Throws on a failed request. */
  fetchPending: () => Promise<unknown[]>;
  /** Acknowledges receipt of these warnings, so the platform stops handing them out. */
  acknowledge: (warningIds: string[]) => Promise<void>;
  inbox: WarningReceiver;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The HTTP profiles' way of receiving warnings: poll, hand each entry to the inbox (which stores it
 * before it returns), then acknowledge receipt of those stored now or before (a repeat the
 * platform handed out because our last acknowledgement was lost). Refused entries are not
 * acknowledged: the platform sees them as never received. One poll at a time, the first at start.
 */
export class WarningPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly limited: RateLimitedLog;

  constructor(private readonly o: WarningPollerOptions) {
    this.limited = new RateLimitedLog(o.logger);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.o.intervalMs);
      });
    }, ms);
    this.timer.unref();
  }

  /** One poll and its acknowledgement; never throws (failures are counted and logged). */
  async pollOnce(): Promise<void> {
    const labels = { profile: this.o.profile };
    let list: unknown[];
    try {
      list = await this.o.fetchPending();
    } catch (err) {
      this.o.metrics.inc('uplink_warning_poll_failures_total', labels);
      this.limited.warn('poll', '获取平台预警失败，稍后重试', { url: this.o.url, error: (err as Error).message });
      return;
    }
    this.limited.clear('poll');
    this.o.metrics.inc('uplink_warning_polls_total', labels);
    const taken: string[] = [];
    for (const raw of list) {
      const r = this.o.inbox.accept(raw, this.o.url);
      if (r.outcome === 'new' || r.outcome === 'duplicate') taken.push(r.warningId);
    }
    if (taken.length === 0) return;
    try {
      await this.o.acknowledge(taken);
    } catch (err) {
      // They come again with the next poll and are taken as duplicates; the acknowledgement is retried then.
      this.o.metrics.inc('uplink_warning_ack_failures_total', labels);
      this.limited.warn('ack', '平台预警签收失败，下次轮询时重试', { url: this.o.url, count: taken.length, error: (err as Error).message });
    }
  }
}
