import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import { isBad } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import { numericValue } from '../debounced-condition.js';
import { MINUTE_MS, type MinuteMean } from './math.js';

export interface ClosedMinute {
  /** Start of the minute, ms since epoch (source time). */
  start: number;
  mean: MinuteMean;
  /** The last reading of the minute, or the one that closed it for an empty minute. */
  last: Reading;
}

/**
 * Accumulates one minute at a time. A Subscriber subclass (one hop from the bus, no wrapper) that
 * keeps the minute's last reading as primitives in one reused object, not the reading itself.
 */
class MinuteMeanSubscriber extends Subscriber<Reading> {
  private start: number | undefined;
  private sum = 0;
  private count = 0;
  private last: Reading | undefined;

  constructor(
    private readonly downstream: Subscriber<ClosedMinute>,
    private readonly maxGap: number,
  ) {
    super();
  }

  protected override _next(r: Reading): void {
    const minute = Math.floor(r.ts / MINUTE_MS) * MINUTE_MS;
    const start = this.start;
    if (start !== undefined && minute < start) return;
    if (start !== undefined && minute > start) {
      this.downstream.next({ start, mean: this.count > 0 ? this.sum / this.count : undefined, last: snapshot(this.last ?? r) });
      const gaps = Math.min(this.maxGap, (minute - start) / MINUTE_MS - 1);
      for (let g = 1; g <= gaps; g++) this.downstream.next({ start: start + g * MINUTE_MS, mean: undefined, last: r });
      this.sum = 0;
      this.count = 0;
    }
    this.start = minute;
    this.keep(r);
    const v = isBad(r.quality) ? undefined : numericValue(r);
    if (v !== undefined) {
      this.sum += v;
      this.count++;
    }
  }

  protected override _error(err: unknown): void {
    this.downstream.error(err);
  }

  protected override _complete(): void {
    this.downstream.complete();
  }

  private keep(r: Reading): void {
    const last = this.last;
    if (!last) {
      this.last = snapshot(r);
      return;
    }
    last.value = r.value;
    last.quality = r.quality;
    last.ts = r.ts;
    last.receivedAt = r.receivedAt;
  }
}

function snapshot(r: Reading): Reading {
  return { point: r.point, value: r.value, quality: r.quality, ts: r.ts, receivedAt: r.receivedAt };
}

/**
 * Closes 1-minute buckets by source timestamp: a minute is emitted when the first reading of a
 * later minute arrives, with the arithmetic mean of its usable (not Bad, numeric) readings. Empty
 * minutes in between are emitted with an undefined mean, at most `maxGap` of them (a longer outage
 * is one run of gaps, enough to push the oldest data out of an 8-h window). Readings that go back
 * in time are ignored; they cannot be placed in a closed minute.
 */
export function minuteMeans(maxGap = 480): OperatorFunction<Reading, ClosedMinute> {
  return (source) => new Observable<ClosedMinute>((subscriber) => source.subscribe(new MinuteMeanSubscriber(subscriber, maxGap)));
}
