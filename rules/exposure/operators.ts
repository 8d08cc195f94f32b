import { map, Observable, type OperatorFunction } from 'rxjs';
import type { Reading } from '../../gateway/core/reading.js';
import { initialTimeAtLevel, judgeTimeAtLevel, MINUTE_MS, stel, STEL_MINUTES, stepTimeAtLevel, twa8h, TWA_MINUTES, type ExposureLevel, type MinuteMean, type TimeAtLevelVerdict } from './math.js';
import { minuteMeans, type ClosedMinute } from './minute-means.js';

/** A value known at the end of a minute, as a reading so the usual delay filter can follow. */
function minuteReading(name: string, m: ClosedMinute, value: number | boolean | undefined): Reading {
  const ts = m.start + MINUTE_MS;
  return value === undefined
    ? { point: name, value: null, quality: 'Bad', ts, receivedAt: m.last.receivedAt }
    : { point: name, value, quality: 'Good', ts, receivedAt: m.last.receivedAt };
}

/** Rolling window of minute means, most recent last. */
function rolling(size: number): OperatorFunction<ClosedMinute, { minute: ClosedMinute; window: readonly MinuteMean[] }> {
  return (source) =>
    new Observable((subscriber) => {
      const window: MinuteMean[] = [];
      return source.subscribe({
        next(minute) {
          window.push(minute.mean);
          if (window.length > size) window.shift();
          subscriber.next({ minute, window });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * One reading per closed minute carrying the rolling 15-min STEL. A minute without data, or a
 * window below `minCoverage`, gives a Bad reading (unknown).
 */
export function stelReadings(name: string, minCoverage: number): OperatorFunction<Reading, Reading> {
  return (source) =>
    source.pipe(
      minuteMeans(STEL_MINUTES),
      rolling(STEL_MINUTES),
      map(({ minute, window }) => minuteReading(name, minute, minute.mean === undefined ? undefined : stel(window, minCoverage))),
    );
}

/** One reading per closed minute carrying the rolling 8-h TWA (Σ minute means / 480). */
export function twaReadings(name: string): OperatorFunction<Reading, Reading> {
  return (source) =>
    source.pipe(
      minuteMeans(TWA_MINUTES),
      rolling(TWA_MINUTES),
      map(({ minute, window }) => minuteReading(name, minute, minute.mean === undefined ? undefined : twa8h(window))),
    );
}

/**
 * One reading per closed minute: true while some level of the table has been exceeded for longer
 * than it allows, with the verdict for the alarm text.
 */
export function timeAtLevelReadings(name: string, levels: readonly ExposureLevel[]): OperatorFunction<Reading, { reading: Reading; verdict: TimeAtLevelVerdict; mean: MinuteMean }> {
  return (source) =>
    new Observable((subscriber) => {
      let state = initialTimeAtLevel(levels);
      return source.pipe(minuteMeans(Math.max(...levels.map((l) => l.maxMs / MINUTE_MS)) + 1)).subscribe({
        next(minute) {
          state = stepTimeAtLevel(levels, state, minute.mean);
          const verdict = judgeTimeAtLevel(levels, state);
          subscriber.next({ reading: minuteReading(name, minute, minute.mean === undefined ? undefined : verdict.exceeded !== undefined), verdict, mean: minute.mean });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
