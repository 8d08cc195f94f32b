import { Observable, Subject, type Subscriber } from 'rxjs';
import type { Reading } from './reading.js';

type Handler = Subscriber<Reading>;

/**
 * The one hot stream of readings. Rules subscribe per point: a reading costs one map lookup and a
 * direct call per subscriber of its point, not a filter per rule (20,000 rules do not each look at
 * every reading) nor a Subject per point (whose bookkeeping dominated the rule benchmark). Sinks
 * subscribe to all readings. Per-point subscribers run first so alarms never wait for sinks.
 */
export class ReadingBus {
  private readonly all = new Subject<Reading>();
  private readonly past = new Subject<Reading>();
  private readonly byPoint = new Map<string, Handler[]>();
  readonly readings$: Observable<Reading> = this.all.asObservable();
  /**
   * Readings from the past (Sparkplug B `is_historical` metrics: a node's store-and-forward backlog),
   * each with its own timestamp. A separate stream, not a flag on live readings: only the sinks that
   * keep history subscribe to it (local history, InfluxDB), and nothing that holds live state (rules,
   * the point registry, the MQTT publisher, the uplink) can see one by forgetting to check a flag.
   */
  readonly historical$: Observable<Reading> = this.past.asObservable();
  private completed = false;
  /** Readings published, and deliveries to per-point subscribers (rule inputs); plain counters for /metrics. */
  published = 0;
  delivered = 0;
  historicalPublished = 0;
  /**
   * Called with every reading before anything else (the point registry's latest value): a plain
   * call, not an RxJS subscription, because it runs for every reading.
   */
  recorder: ((r: Reading) => void) | undefined;

  publish(reading: Reading): void {
    this.published++;
    this.recorder?.(reading);
    const handlers = this.byPoint.get(reading.point);
    if (handlers !== undefined) {
      this.delivered += handlers.length;
      // Subscribers may unsubscribe while we iterate (hot reload): iterate a stable array.
      for (let i = 0; i < handlers.length; i++) handlers[i]!.next(reading);
    }
    // Subject.next allocates on every call; skip it when no sink listens.
    if (this.all.observed) this.all.next(reading);
  }

  /** Hands a reading from the past to the history sinks; it never reaches live state or rules. */
  publishHistorical(reading: Reading): void {
    this.historicalPublished++;
    if (this.past.observed) this.past.next(reading);
  }

  /** Readings of one point, hot. */
  point$(pointId: string): Observable<Reading> {
    return new Observable<Reading>((subscriber) => {
      if (this.completed) {
        subscriber.complete();
        return;
      }
      const handler: Handler = subscriber;
      // Copy on write: publish() may be iterating the current array.
      this.byPoint.set(pointId, [...(this.byPoint.get(pointId) ?? []), handler]);
      return () => {
        const rest = (this.byPoint.get(pointId) ?? []).filter((h) => h !== handler);
        if (rest.length > 0) this.byPoint.set(pointId, rest);
        else this.byPoint.delete(pointId);
      };
    });
  }

  complete(): void {
    this.completed = true;
    const all = [...this.byPoint.values()].flat();
    this.byPoint.clear();
    for (const s of all) s.complete();
    this.all.complete();
    this.past.complete();
  }
}
