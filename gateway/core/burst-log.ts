import type { Logger } from './logger.js';

interface Burst {
  suppressed: number;
  last: string;
  timer: NodeJS.Timeout;
}

/**
 * Logs the first of a burst of similar events at once and the rest as one summary line when the
 * window ends: a flood of bad logins or bad messages costs two log lines per key and window, not one
 * per event. Keys say what is similar (e.g. reason + client address, or device + reason).
 */
export class BurstLog {
  private readonly bursts = new Map<string, Burst>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = 60_000,
    private readonly level: 'warn' | 'info' | 'error' = 'warn',
    /** Bounds memory under a flood of distinct keys; further keys are logged without suppression. */
    private readonly maxKeys = 10_000,
  ) {}

  report(key: string, message: string): void {
    const burst = this.bursts.get(key);
    if (burst) {
      burst.suppressed++;
      burst.last = message;
      return;
    }
    this.log[this.level](message);
    if (this.bursts.size >= this.maxKeys) return;
    const timer = setTimeout(() => this.end(key), this.windowMs);
    timer.unref();
    this.bursts.set(key, { suppressed: 0, last: message, timer });
  }

  private end(key: string): void {
    const burst = this.bursts.get(key);
    this.bursts.delete(key);
    if (burst && burst.suppressed > 0) this.log[this.level](`${burst.suppressed} more like this in the last ${Math.round(this.windowMs / 1000)} s; the last: ${burst.last}`);
  }

  /** Logs pending summaries and clears the timers (on shutdown). */
  flush(): void {
    for (const key of [...this.bursts.keys()]) {
      clearTimeout(this.bursts.get(key)!.timer);
      this.end(key);
    }
  }
}
