/**
 * The audible horn: a two-tone beep every 2 s while any alarm is unacknowledged and not silenced.
 * Browsers allow audio only after a user gesture, so it sounds only after the operator clicked
 * "启用声音" (enable()).
 */
export class Horn {
  private ctx: AudioContext | undefined;
  private timer: number | undefined;

  get enabled(): boolean {
    return this.ctx !== undefined;
  }

  enable(): void {
    this.ctx ??= new AudioContext();
    this.ctx.resume().catch((err: unknown) => console.warn('horn: audio could not start', err));
  }

  set(on: boolean): void {
    document.body.dataset.horn = on ? 'on' : 'off';
    if (!this.ctx) return;
    if (on && this.timer === undefined) {
      this.beep();
      this.timer = window.setInterval(() => this.beep(), 2000);
    } else if (!on && this.timer !== undefined) {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private beep(): void {
    const ctx = this.ctx!;
    const t = ctx.currentTime;
    for (const [i, f] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.2, t + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.25 + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + i * 0.25);
      osc.stop(t + i * 0.25 + 0.24);
    }
  }
}
