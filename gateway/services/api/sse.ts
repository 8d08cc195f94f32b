import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Observable, Subscription } from 'rxjs';
import type { AlarmManager } from '../../alarms/alarm-manager.js';
import type { AlarmEvent } from '../../core/alarm-event.js';
import type { PointRegistry } from '../../core/point-registry.js';
import { asciiJson } from './ascii-json.js';
import { alarmView } from './deps.js';
import type { JournalQuery } from './journal-query.js';

/** Events replayed at most on a reconnect; further behind, the client is told to reload its list. */
const MAX_REPLAY = 5000;
/** A client whose socket holds this much unsent data is cut off (it reconnects and replays). */
const MAX_BUFFERED = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/**
 * Writes to the clients at most this often: an event after a quiet spell goes out at once, and in a
 * flood the events of the window go to each client as one chunk, so 50 clients cost one write each
 * per window instead of one per event (the writes are what took CPU from the rules). At most this
 * much later on the screen, well inside the console's 250 ms goal.
 */
export const SSE_BATCH_MS = 50;

/** One SSE message: its id (monotonic per stream) and its whole text (`id: …\nevent: …\ndata: …\n\n`). */
export interface SseMessage {
  seq: number;
  text: string;
}

/**
 * What a live stream carries: the live events, how one becomes a message, and what a client that
 * reconnects with Last-Event-ID missed. The operator console's alarm stream (alarmSseSource) and the
 * centre console's enterprise stream (centre/live-feed.ts) are two sources of the same hub.
 */
export interface SseSource<E> {
  events$: Observable<E>;
  /** The message of a live event; called only while someone listens. */
  message(e: E): SseMessage;
  /**
   * Messages after `after` in seq order (at most `limit`, more means too far behind), 'reset' when
   * they are gone (the client reloads and continues from now), undefined when the source keeps none.
   */
  missed(after: number, limit: number): SseMessage[] | 'reset' | undefined;
  /** The newest id: where a fresh stream starts. */
  lastSeq(): number;
}

interface Client {
  res: ServerResponse;
  lastSeq: number;
}

/**
 * Live push by Server-Sent Events. Each message's id is the source's seq; a client that reconnects
 * with Last-Event-ID gets every message after it (source.missed) before live ones. The replay is read
 * and the live subscription taken in the same synchronous step (a source records an event before it
 * publishes it), so no event falls between the two.
 */
export class SseHub<E = AlarmEvent> {
  private readonly clients = new Set<Client>();
  private sub: Subscription | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Live messages not yet written, in seq order, and the timer that writes them. */
  private pending: SseMessage[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;

  constructor(private readonly source: SseSource<E>) {}

  start(): void {
    this.sub = this.source.events$.subscribe((e) => {
      if (this.clients.size === 0) return;
      // One message text for every client: the cost of a flood does not grow with the clients' JSON.
      this.pending.push(this.source.message(e));
      this.flushTimer ??= setTimeout(() => this.flush(), Math.max(0, this.lastFlushAt + SSE_BATCH_MS - performance.now()));
    });
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS).unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response as an event stream; `lastEventId` from the header (or query) when resuming. */
  open(res: ServerResponse, lastEventId: number | undefined, onClose: () => void): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const client: Client = { res, lastSeq: lastEventId ?? 0 };
    const missed = lastEventId === undefined ? undefined : this.source.missed(lastEventId, MAX_REPLAY + 1);
    if (missed === 'reset' || (missed !== undefined && missed.length > MAX_REPLAY)) {
      // Too far behind to replay: the client reloads its list and continues from now.
      client.lastSeq = this.source.lastSeq();
      res.write(`id: ${client.lastSeq}\nevent: reset\ndata: {}\n\n`);
    } else if (missed !== undefined) {
      for (const m of missed) this.write(client, m.seq, m.text);
    } else if (lastEventId === undefined) {
      // A fresh stream starts at the newest event: the client has just loaded the list.
      client.lastSeq = this.source.lastSeq();
      res.write(`id: ${client.lastSeq}\nevent: hello\ndata: {}\n\n`);
    }
    this.clients.add(client);
    res.on('close', () => {
      this.clients.delete(client);
      onClose();
    });
  }

  /** Writes the gathered messages: one chunk per client (a client that replayed past some gets the rest). */
  private flush(): void {
    this.flushTimer = undefined;
    this.lastFlushAt = performance.now();
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const first = batch[0]!.seq;
    const last = batch[batch.length - 1]!.seq;
    // Encoded once: every client up to date gets the same bytes (no per-client conversion of the text).
    const all = Buffer.from(batch.length === 1 ? batch[0]!.text : batch.map((m) => m.text).join(''));
    for (const c of this.clients) {
      if (c.lastSeq >= last) continue;
      const text = c.lastSeq < first ? all : batch.filter((m) => m.seq > c.lastSeq).map((m) => m.text).join('');
      this.write(c, last, text);
    }
  }

  private write(c: Client, seq: number, text: string | Buffer): void {
    if (seq <= c.lastSeq) return;
    c.lastSeq = seq;
    c.res.write(text);
    if (c.res.writableLength > MAX_BUFFERED) c.res.destroy();
  }

  closeClients(): void {
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  stop(): void {
    this.sub?.unsubscribe();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flush();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.closeClients();
  }
}

/** The operator console's stream: alarm events, id = journal seq, replayed from the journal. */
export function alarmSseSource(alarms: AlarmManager, points: PointRegistry, journal: JournalQuery | undefined): SseSource<AlarmEvent> {
  const message = (e: AlarmEvent, kind: string | undefined): SseMessage => {
    const status = alarms.has(e.alarmId) ? alarmView(points, alarms.get(e.alarmId)) : null;
    // ASCII JSON (ascii-json.ts): cheaper to encode here and to parse in the browser.
    return { seq: e.seq, text: `id: ${e.seq}\nevent: alarm\ndata: ${asciiJson({ event: kind ? { ...e, kind } : e, status })}\n\n` };
  };
  return {
    events$: alarms.events$,
    message: (e) => message(e, undefined),
    missed: (after, limit) => journal?.events({ after, limit }).map((e) => message(e, e.kind)),
    lastSeq: () => journal?.lastSeq() ?? 0,
  };
}
