import type { PointDefinition } from '../../core/point.js';
import type { Reading } from '../../core/reading.js';
import type { HistorySection } from './config.js';

interface Kept {
  ts: number;
  value: Reading['value'];
  quality: Reading['quality'];
}

/**
 * Decides per point which readings the local history keeps: a change beyond the deadband, a quality
 * change, or maxInterval since the last kept reading; at most one per minInterval (a change held back
 * by minInterval is taken with the next reading after it). Memory: one slot per point.
 */
export class Downsampler {
  private readonly last = new Map<string, Kept>();

  constructor(
    private readonly cfg: Pick<HistorySection, 'deadbandPercent' | 'maxInterval' | 'minInterval'>,
    private readonly pointOf: (id: string) => PointDefinition | undefined,
  ) {}

  keep(r: Reading): boolean {
    const prev = this.last.get(r.point);
    if (prev && r.ts - prev.ts < this.cfg.minInterval && r.ts >= prev.ts) return false;
    if (prev && r.ts >= prev.ts && r.quality === prev.quality && r.ts - prev.ts < this.cfg.maxInterval && !this.moved(r, prev)) return false;
    if (prev) {
      prev.ts = r.ts;
      prev.value = r.value;
      prev.quality = r.quality;
    } else this.last.set(r.point, { ts: r.ts, value: r.value, quality: r.quality });
    return true;
  }

  private moved(r: Reading, prev: Kept): boolean {
    if (typeof r.value !== 'number' || typeof prev.value !== 'number') return r.value !== prev.value;
    const range = this.pointOf(r.point)?.range;
    const span = range ? range.high - range.low : Math.abs(prev.value);
    return Math.abs(r.value - prev.value) > (span * this.cfg.deadbandPercent) / 100;
  }
}
