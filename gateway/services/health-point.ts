import type { SchedulerLike, Subscription } from 'rxjs';
import type { ReadingBus } from '../core/bus.js';

/** How often an unchanged health point is published again, so history and HMIs see it is alive. */
export const HEALTH_REPUBLISH_MS = 10_000;


/**
 * Publishes a service's health (true / false) on the bus as a reading of its diagnostic point, on
 * change and every HEALTH_REPUBLISH_MS, so it reaches history, MQTT and the console like any point
 * and rules can alarm on it exactly as on a device's comm_ok.
 */
export class HealthPublisher {
  private ok: boolean | undefined;
  private timer: Subscription | undefined;

  constructor(
    private readonly ctx: { bus: ReadingBus; scheduler: SchedulerLike; now(): number },
    readonly pointId: string,
  ) {}

  /**
   * Publishes `check()` now, then checks every `everyMs` (publishing on change) and republishes an
   * unchanged value every HEALTH_REPUBLISH_MS.
   */
  start(check: () => boolean, everyMs = 1000): void {
    this.set(check(), true);
    let sincePublish = 0;
    const again = (): void => {
      sincePublish += everyMs;
      const ok = check();
      if (ok !== this.ok || sincePublish >= HEALTH_REPUBLISH_MS) {
        sincePublish = 0;
        this.set(ok, true);
      }
      this.timer = this.ctx.scheduler.schedule(again, everyMs);
    };
    this.timer = this.ctx.scheduler.schedule(again, everyMs);
  }

  set(ok: boolean, force = false): void {
    if (ok === this.ok && !force) return;
    this.ok = ok;
    this.publish(ok);
  }

  get value(): boolean | undefined {
    return this.ok;
  }

  private publish(ok: boolean): void {
    const now = this.ctx.now();
    this.ctx.bus.publish({ point: this.pointId, value: ok, quality: 'Good', ts: now, receivedAt: now });
  }

  stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}
