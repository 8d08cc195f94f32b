import type { Logger } from './logger.js';

export interface RateLimitedLogOptions {
  /** Quiet time after the first line of a cause; it doubles after each further line. Default 10 s. */
  firstStepMs?: number;
  /** Longest quiet time, and how long a cause must be silent to count as new again. Default 10 min. */
  maxStepMs?: number;
  /** Causes remembered at once; the oldest is forgotten beyond this (a client id per attempt must not grow memory). Default 1000. */
  maxCauses?: number;
  /** Injected clock, ms (tests run it by hand). Default Date.now. */
  now?: () => number;
}

type Level = 'info' | 'warn' | 'error';

interface CauseState {
  /** Occurrences since the last line written for this cause. */
  suppressed: number;
  /** The next occurrence at or after this time is written. */
  nextAt: number;
  stepMs: number;
  lastSeen: number;
}

/**
 * Logs a repeating cause (a device that keeps timing out, a client that keeps failing its login, a
 * server that stays down) once, then once per backoff step (10 s, 20 s, 40 s … at most every 10 min)
 * with the number of occurrences it did not write, so a broken device cannot fill a disk but never
 * goes quiet either. `clear(cause)` ends a cause (the device answers again) and says how often it
 * occurred since it was last written.
 */
export class RateLimitedLog {
  private readonly causes = new Map<string, CauseState>();
  private readonly firstStepMs: number;
  private readonly maxStepMs: number;
  private readonly maxCauses: number;
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    options: RateLimitedLogOptions = {},
  ) {
    this.firstStepMs = options.firstStepMs ?? 10_000;
    this.maxStepMs = options.maxStepMs ?? 600_000;
    this.maxCauses = options.maxCauses ?? 1000;
    this.now = options.now ?? Date.now;
  }

  info(cause: string, msg: string, fields?: Record<string, unknown>): boolean {
    return this.occur('info', cause, msg, fields);
  }

  warn(cause: string, msg: string, fields?: Record<string, unknown>): boolean {
    return this.occur('warn', cause, msg, fields);
  }

  error(cause: string, msg: string, fields?: Record<string, unknown>): boolean {
    return this.occur('error', cause, msg, fields);
  }

  /**
   * The cause is over: the next occurrence is written at once. Returns how many occurrences were not
   * written since its last line (for the recovery message), or 0 for a cause not seen.
   */
  clear(cause: string): number {
    const s = this.causes.get(cause);
    this.causes.delete(cause);
    return s?.suppressed ?? 0;
  }

  /** Ends every cause (the link is up again); returns the occurrences not written, summed. */
  clearAll(): number {
    let n = 0;
    for (const s of this.causes.values()) n += s.suppressed;
    this.causes.clear();
    return n;
  }

  /** Writes the line and returns true, or counts it and returns false. */
  private occur(level: Level, cause: string, msg: string, fields?: Record<string, unknown>): boolean {
    const now = this.now();
    const s = this.causes.get(cause);
    if (s && now < s.nextAt) {
      s.suppressed++;
      s.lastSeen = now;
      return false;
    }
    if (!s) {
      this.remember(cause, { suppressed: 0, nextAt: now + this.firstStepMs, stepMs: this.firstStepMs, lastSeen: now });
      this.log[level](msg, fields);
      return true;
    }
    // Silent for a whole maximum step: the cause is new again and backs off from the start.
    const stepMs = now - s.lastSeen >= this.maxStepMs ? this.firstStepMs : Math.min(s.stepMs * 2, this.maxStepMs);
    const repeats = s.suppressed;
    this.remember(cause, { suppressed: 0, nextAt: now + stepMs, stepMs, lastSeen: now });
    if (repeats === 0) this.log[level](msg, fields);
    else this.log[level](`${msg}（此前 ${repeats} 次相同未记录 [${repeats} repeats not logged]）`, { ...fields, repeats });
    return true;
  }

  private remember(cause: string, state: CauseState): void {
    // Re-inserting keeps the Map in order of last write, so the first key is the stalest.
    this.causes.delete(cause);
    this.causes.set(cause, state);
    if (this.causes.size > this.maxCauses) this.causes.delete(this.causes.keys().next().value!);
  }
}
