import { Subject, type Observable, type Subscription } from 'rxjs';
import type { SseMessage, SseSource } from '../api/sse.js';
import type { CentreEvent, CentreIntake, EnterpriseAlarm } from './intake.js';
import type { EnterpriseRegister } from './register.js';

/** Messages kept for replay: a console that reconnects within this many changes misses none. */
export const CENTRE_LIVE_KEEP = 5000;

/** An enterprise's live badges as the centre grid shows them. */
export interface EnterpriseBadges {
  enterpriseCode: string;
  /** Some gateway of the enterprise is online. */
  online: boolean;
  /** Active enterprise alarms by level 1–4. */
  activeAlarms: Record<1 | 2 | 3 | 4, number>;
}

/** `event: alarm` of GET /api/v1/centre/events. */
export interface CentreAlarmMessage extends EnterpriseBadges {
  alarm: EnterpriseAlarm;
  /** The alarm became active with this event (not an update or a clear). */
  activation: boolean;
  /** The enterprise's envelope timestamp, and when the centre received it. */
  sentAt: number;
  receivedAt: number;
}

/** `event: online` of GET /api/v1/centre/events. */
export interface CentreOnlineMessage extends EnterpriseBadges {
  gatewayCode: string;
  gatewayOnline: boolean;
  at: number;
}

/**
 * The centre console's live stream (GET /api/v1/centre/events, served by the API's SseHub): each live
 * alarm change and each gateway online / offline change of an enterprise, with that enterprise's
 * badges after it, so the grid updates a tile without asking. Ids are monotonic: they start at the
 * process's start time × 1000, so an id from before a restart is older than every id of this run and
 * the client is told to reload (reset) instead of being replayed someone else's sequence. The last
 * CENTRE_LIVE_KEEP messages are kept in memory for a reconnect with Last-Event-ID; the intake
 * publishes live events only, so a replayed (historical) envelope never reaches the stream.
 */
export class CentreLiveFeed implements SseSource<SseMessage> {
  private readonly out = new Subject<SseMessage>();
  readonly events$: Observable<SseMessage> = this.out.asObservable();
  /** Kept messages in seq order; ids are contiguous, so kept[i].seq === firstKept + i. */
  private kept: SseMessage[] = [];
  private seq: number;
  private sub: Subscription | undefined;

  constructor(
    private readonly intake: CentreIntake,
    private readonly register: EnterpriseRegister,
    startedAt: number,
  ) {
    this.seq = startedAt * 1000;
  }

  start(): void {
    this.sub = this.intake.events$.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.out.complete();
  }

  /** The enterprise's online state and active alarms by level, now. */
  badges(enterpriseCode: string): EnterpriseBadges {
    let online = false;
    for (const g of this.register.get(enterpriseCode)?.gateways ?? []) online ||= this.intake.gateways.get(`${enterpriseCode}/${g}`)?.online ?? false;
    const activeAlarms = { 1: 0, 2: 0, 3: 0, 4: 0 };
    for (const a of this.intake.alarms.get(enterpriseCode)?.values() ?? []) if (a.active && a.level >= 1 && a.level <= 4) activeAlarms[a.level as 1 | 2 | 3 | 4]++;
    return { enterpriseCode, online, activeAlarms };
  }

  private onEvent(e: CentreEvent): void {
    if (e.kind === 'alarm') {
      const data: CentreAlarmMessage = { ...this.badges(e.alarm.enterpriseCode), alarm: e.alarm, activation: e.activation, sentAt: e.sentAt, receivedAt: e.receivedAt };
      this.publish('alarm', data);
    } else if (e.kind === 'online') {
      const data: CentreOnlineMessage = { ...this.badges(e.enterpriseCode), gatewayCode: e.gatewayCode, gatewayOnline: e.online, at: e.at };
      this.publish('online', data);
    }
  }

  private publish(event: string, data: CentreAlarmMessage | CentreOnlineMessage): void {
    const seq = ++this.seq;
    const m: SseMessage = { seq, text: `id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n` };
    this.kept.push(m);
    // Trimmed in steps of CENTRE_LIVE_KEEP, so a burst costs one slice per 5,000 messages, not a shift each.
    if (this.kept.length >= 2 * CENTRE_LIVE_KEEP) this.kept = this.kept.slice(-CENTRE_LIVE_KEEP);
    this.out.next(m);
  }

  message(m: SseMessage): SseMessage {
    return m;
  }

  missed(after: number, limit: number): SseMessage[] | 'reset' {
    if (after >= this.seq) return after === this.seq ? [] : 'reset'; // an id from the future: not ours
    const first = this.kept[0]?.seq ?? this.seq + 1;
    if (after < first - 1) return 'reset'; // older than what is kept (or from before a restart)
    return this.kept.slice(after - first + 1, after - first + 1 + limit);
  }

  lastSeq(): number {
    return this.seq;
  }
}
