import type { PointDefinition } from '../../core/point.js';
import type { Reading } from '../../core/reading.js';
import type { HistorySection } from './config.js';

interface Kept {
  ts: number;
  value: Reading['value'];
  quality: Reading['quality'];
  /** The point's range span (high − low) for the deadband; NaN: none; undefined: not looked up yet. */
  span: number | undefined;
}

/**
 * Decides per point which readings the local history keeps: a change beyond the deadband, a quality
 * change, or maxInterval since the last kept reading; at most one per minInterval (a change held back
 * by minInterval is taken with the next reading after it). Memory: one slot per point. It runs for
 * every reading, so the point's range is looked up once, not per reading (forgetRanges() after a
 * reload).
 */
export class Downsampler {
  /** By the point's bus channel index: an array index, not a string lookup, per reading. */
  private readonly last: (Kept | undefined)[] = [];
  /**
   * The same points' last kept timestamps (NaN: none yet), 8 bytes each in one array: most readings
   * come within minInterval of the last kept one and are turned away here, without following a
   * pointer to a per-point object (10,000 of them do not stay in the CPU's cache between polls).
   */
  private lastTs = new Float64Array(0);

  constructor(
    private readonly cfg: Pick<HistorySection, 'deadbandPercent' | 'maxInterval' | 'minInterval'>,
    private readonly pointOf: (id: string) => PointDefinition | undefined,
  ) {}

  /** `index`: the point's bus channel index (one per point id). */
  keep(r: Reading, index: number): boolean {
    if (index < this.lastTs.length) {
      const lastTs = this.lastTs[index]!;
      if (r.ts - lastTs < this.cfg.minInterval && r.ts >= lastTs) return false;
    }
    const prev = this.last[index];
    if (prev === undefined) {
      while (this.last.length < index) this.last.push(undefined);
      this.last[index] = { ts: r.ts, value: r.value, quality: r.quality, span: undefined };
      this.setLastTs(index, r.ts);
      return true;
    }
    if (r.ts - prev.ts < this.cfg.minInterval && r.ts >= prev.ts) return false;
    if (r.ts >= prev.ts && r.quality === prev.quality && r.ts - prev.ts < this.cfg.maxInterval && !this.moved(r, prev)) return false;
    prev.ts = r.ts;
    prev.value = r.value;
    prev.quality = r.quality;
    this.setLastTs(index, r.ts);
    return true;
  }

  private setLastTs(index: number, ts: number): void {
    if (index >= this.lastTs.length) {
      const grown = new Float64Array(Math.max(index + 1, this.lastTs.length * 2, 1024)).fill(Number.NaN);
      grown.set(this.lastTs);
      this.lastTs = grown;
    }
    this.lastTs[index] = ts;
  }

  /** Point definitions changed (hot reload): look the ranges up again. */
  forgetRanges(): void {
    for (const k of this.last) if (k) k.span = undefined;
  }

  private moved(r: Reading, prev: Kept): boolean {
    if (typeof r.value !== 'number' || typeof prev.value !== 'number') return r.value !== prev.value;
    if (prev.span === undefined) {
      const range = this.pointOf(r.point)?.range;
      prev.span = range ? range.high - range.low : NaN;
    }
    const span = Number.isNaN(prev.span) ? Math.abs(prev.value) : prev.span;
    return Math.abs(r.value - prev.value) > (span * this.cfg.deadbandPercent) / 100;
  }
}
