/**
 * Login rate limiting: failed logins are counted per user name and per client address in a sliding
 * window; past the limit further attempts are refused without checking the password (no scrypt run,
 * so a password-guessing burst costs the gateway nothing) until the window has moved on. A
 * successful login clears the name's count. In memory: a restart forgets, which only helps the
 * rightful user.
 */
export interface LoginLimiterOptions {
  /** Failures allowed per user name within the window. */
  maxFailures: number;
  windowMs: number;
  /** Failures allowed per client address within the window (several names from one machine). */
  maxFailuresPerAddress?: number;
  now?: () => number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly o: LoginLimiterOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds to wait before another attempt, or 0 when one is allowed now. */
  retryAfter(name: string, address: string): number {
    const now = this.now();
    const byName = this.recent(`u:${name}`, now);
    const byAddr = this.recent(`a:${address}`, now);
    const perAddr = this.o.maxFailuresPerAddress ?? this.o.maxFailures * 4;
    let wait = 0;
    if (byName.length >= this.o.maxFailures) wait = Math.max(wait, byName[byName.length - this.o.maxFailures]! + this.o.windowMs - now);
    if (byAddr.length >= perAddr) wait = Math.max(wait, byAddr[byAddr.length - perAddr]! + this.o.windowMs - now);
    return Math.max(0, wait);
  }

  fail(name: string, address: string): void {
    const now = this.now();
    for (const key of [`u:${name}`, `a:${address}`]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.set(key, list);
    }
    // Bounded: an attacker spraying names must not grow the map without end.
    if (this.failures.size > 10_000) this.prune(now);
  }

  succeed(name: string): void {
    this.failures.delete(`u:${name}`);
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => now - t < this.o.windowMs);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  private prune(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
  }
}
