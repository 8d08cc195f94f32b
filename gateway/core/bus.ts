import { Observable, Subject, type Subscriber } from 'rxjs';
import type { Reading } from './reading.js';

type Handler = Subscriber<Reading>;

/**
 * What the bus keeps per point, found with the one map lookup a reading costs (or none, when the
 * adapter keeps it): the point's subscribers, a dense index for sinks that keep per-point state in
 * arrays, and the recorder's slot. It is also the point's publisher: an adapter that publishes the
 * same points many times a second keeps the channel and calls publish() on it, so a reading touches
 * no object of its own besides the channel (a closure per point was two more cache lines per reading
 * among 10,000 points).
 */
export class PointChannel {
  private subscribers: readonly Handler[] = [];
  /**
   * The only subscriber when there is exactly one (the usual case: one rule subscription per point
   * carries all its conditions), called without going through the array: a JS array is two objects
   * (the array and its elements), two more cache lines per reading among 10,000 points.
   */
  private one: Handler | undefined = undefined;
  /** The recorder's own per-point slot number (the point registry's), -1 until it sets it. */
  recorded = -1;

  constructor(
    private readonly bus: ReadingBus,
    readonly point: string,
    /** 0, 1, 2 … in order of first sight; never reused while the bus lives. */
    readonly index: number,
  ) {}

  /** The single subscriber, or undefined when there are none or several (then: handlers). */
  get only(): Handler | undefined {
    return this.one;
  }

  /** Per-point subscribers (rule inputs); replaced, never mutated, so publish() can iterate it. */
  get handlers(): readonly Handler[] {
    return this.subscribers;
  }

  set handlers(list: readonly Handler[]) {
    this.subscribers = list;
    this.one = list.length === 1 ? list[0] : undefined;
  }

  /** Publishes a reading of this point (bus.publishOn(this, reading)). */
  publish(reading: Reading): void {
    this.bus.publishOn(this, reading);
  }
}

/** Called with every reading and its point's channel. */
export type ReadingHook = (r: Reading, channel: PointChannel) => void;

/**
 * The one hot stream of readings. Rules subscribe per point: a reading costs one map lookup and a
 * direct call per subscriber of its point, not a filter per rule (20,000 rules do not each look at
 * every reading) nor a Subject per point (whose bookkeeping dominated the rule benchmark). Sinks
 * subscribe to all readings. Per-point subscribers run first so alarms never wait for sinks.
 *
 * The recorder and the taps get the point's channel with the reading, so they need no lookup of
 * their own: at 100,000 readings a second each string-keyed lookup of 10,000 points costs a few
 * per cent of a core.
 */
export class ReadingBus {
  private readonly all = new Subject<Reading>();
  private readonly channels = new Map<string, PointChannel>();
  private readonly past = new Subject<Reading>();
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
  /** Called with every reading before anything else (the point registry's latest value). */
  private recorder: ReadingHook | undefined;
  /** Plain per-reading sinks (see tap()); called after the per-point subscribers. */
  private taps: readonly ReadingHook[] = [];
  historicalPublished = 0;

  publish(reading: Reading): void {
    this.publishOn(this.channels.get(reading.point) ?? this.channel(reading.point), reading);
  }

  /**
   * publish() with the point's channel already known (`bus.channel(reading.point)`, kept by the
   * caller): the lookup among all points' channels was an eighth of the whole gateway's CPU time in
   * bench:modbus (10,000 points: a hash table miss and a string compare per reading).
   */
  publishOn(ch: PointChannel, reading: Reading): void {
    this.published++;
    this.recorder?.(reading, ch);
    const only = ch.only;
    if (only !== undefined) {
      this.delivered++;
      only.next(reading);
    } else {
      const handlers = ch.handlers;
      this.delivered += handlers.length;
      for (let i = 0; i < handlers.length; i++) handlers[i]!.next(reading);
    }
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(reading, ch);
    // Subject.next allocates on every call; skip it when no sink listens.
    if (this.all.observed) this.all.next(reading);
  }

  /** The channel of a point, created on first use. */
  channel(point: string): PointChannel {
    let ch = this.channels.get(point);
    if (ch === undefined) {
      ch = new PointChannel(this, point, this.channels.size);
      this.channels.set(point, ch);
    }
    return ch;
  }

  /**
   * Sets the hook that sees every reading first, a plain call rather than an RxJS subscription
   * (the point registry's latest value). The previous recorder's slots are forgotten.
   */
  setRecorder(fn: ReadingHook | undefined): void {
    for (const ch of this.channels.values()) ch.recorded = -1;
    this.recorder = fn;
  }

  /**
   * Calls `fn` with every reading and its channel, after the rules: for a sink that looks at every
   * reading (the local history), a plain call costs a fraction of an RxJS subscription's chain of
   * subscriber objects. `fn` must not throw (it runs on the adapters' stack). Returns the function
   * that removes it.
   */
  tap(fn: ReadingHook): () => void {
    this.taps = [...this.taps, fn];
    return () => {
      this.taps = this.taps.filter((t) => t !== fn);
    };
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
      const ch = this.channel(pointId);
      // Copy on write: publish() may be iterating the current array.
      ch.handlers = [...ch.handlers, handler];
      return () => {
        ch.handlers = ch.handlers.filter((h) => h !== handler);
      };
    });
  }

  complete(): void {
    this.completed = true;
    const all = [...this.channels.values()].flatMap((ch) => ch.handlers);
    for (const ch of this.channels.values()) ch.handlers = [];
    for (const s of all) s.complete();
    this.all.complete();
    this.past.complete();
  }
}
