/**
 * Failed logins per client address in a fixed window: past `maxFailures` the address is refused at
 * once, without a password check (each costs 128 MiB of scrypt), until its window ends. Successful
 * logins do not reset the count: one valid account must not buy unlimited guesses at the others.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 10_000,
  ) {}

  blocked(address: string): boolean {
    const w = this.current(address);
    return w !== undefined && w.failures >= this.maxFailures;
  }

  fail(address: string): void {
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxAddresses) this.prune();
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  private current(address: string) {
    const w = this.windows.get(address);
    if (w && this.now() - w.start >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  private prune(): void {
    const now = this.now();
    for (const [a, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(a);
    // Still full: drop the oldest (insertion order) rather than grow without bound.
    while (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }
}
