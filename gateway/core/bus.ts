import { Observable, Subject } from 'rxjs';
import type { Reading } from './reading.js';

/**
 * The one hot stream of readings. Rules subscribe per point (a map lookup per reading, not a filter
 * per rule, so 20,000 rules do not each look at every reading); sinks subscribe to all readings.
 * Per-point subscribers run before the all-readings subscribers so alarms are not delayed by sinks.
 */
export class ReadingBus {
  private readonly all = new Subject<Reading>();
  private readonly byPoint = new Map<string, Subject<Reading>>();
  readonly readings$: Observable<Reading> = this.all.asObservable();

  publish(reading: Reading): void {
    this.byPoint.get(reading.point)?.next(reading);
    this.all.next(reading);
  }

  /** Readings of one point, hot. */
  point$(pointId: string): Observable<Reading> {
    let subject = this.byPoint.get(pointId);
    if (!subject) {
      subject = new Subject<Reading>();
      this.byPoint.set(pointId, subject);
    }
    return subject.asObservable();
  }

  complete(): void {
    for (const s of this.byPoint.values()) s.complete();
    this.all.complete();
  }
}
