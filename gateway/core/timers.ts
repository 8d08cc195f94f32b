import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * Timers on an RxJS scheduler instead of the global setInterval / setTimeout, so sinks and services
 * run in virtual time under a TestScheduler or VirtualTimeScheduler (and on the real clock with
 * asyncScheduler).
 */
export function every(scheduler: SchedulerLike, periodMs: number, fn: () => void): Subscription {
  return scheduler.schedule(function (this: { schedule(state?: unknown, delay?: number): void }) {
    fn();
    this.schedule(undefined, periodMs);
  }, periodMs);
}

/** Runs fn once after delayMs; unsubscribe to cancel. */
export function after(scheduler: SchedulerLike, delayMs: number, fn: () => void): Subscription {
  return scheduler.schedule(fn, delayMs);
}
