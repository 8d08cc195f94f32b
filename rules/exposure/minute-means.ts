import { Observable, type OperatorFunction } from 'rxjs';
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
 * Closes 1-minute buckets by source timestamp: a minute is emitted when the first reading of a
 * later minute arrives, with the arithmetic mean of its usable (not Bad, numeric) readings. Empty
 * minutes in between are emitted with an undefined mean, at most `maxGap` of them (a longer outage
 * is one run of gaps, enough to push the oldest data out of an 8-h window). Readings that go back
 * in time are ignored; they cannot be placed in a closed minute.
 */
export function minuteMeans(maxGap = 480): OperatorFunction<Reading, ClosedMinute> {
  return (source) =>
    new Observable<ClosedMinute>((subscriber) => {
      let start: number | undefined;
      let sum = 0;
      let count = 0;
      // The minute's last reading as primitives (not the object: see ConditionDebouncer).
      let last: Reading | undefined;
      const keep = (r: Reading) => {
        if (!last) last = { point: r.point, value: r.value, quality: r.quality, ts: r.ts, receivedAt: r.receivedAt };
        else {
          last.value = r.value;
          last.quality = r.quality;
          last.ts = r.ts;
          last.receivedAt = r.receivedAt;
        }
      };
      const snapshot = (r: Reading): Reading => ({ point: r.point, value: r.value, quality: r.quality, ts: r.ts, receivedAt: r.receivedAt });
      return source.subscribe({
        next(r) {
          const minute = Math.floor(r.ts / MINUTE_MS) * MINUTE_MS;
          if (start !== undefined && minute < start) return;
          if (start !== undefined && minute > start) {
            subscriber.next({ start, mean: count > 0 ? sum / count : undefined, last: snapshot(last ?? r) });
            const gaps = Math.min(maxGap, (minute - start) / MINUTE_MS - 1);
            for (let g = 1; g <= gaps; g++) subscriber.next({ start: start + g * MINUTE_MS, mean: undefined, last: r });
            sum = 0;
            count = 0;
          }
          start = minute;
          keep(r);
          const v = isBad(r.quality) ? undefined : numericValue(r);
          if (v !== undefined) {
            sum += v;
            count++;
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
