import type { Observable, Subscription } from 'rxjs';
import type { AlarmEvent } from '../core/alarm-event.js';
import { SEVERITY_INFO } from '../core/alarm-event.js';
import type { Reading } from '../core/reading.js';
import { isBad } from '../core/quality.js';
import { STATE_LABELS } from '../alarms/messages.js';
import type { AlarmStatus } from '../alarms/alarm-manager.js';

const COLOUR: Record<string, string> = { red: '\x1b[31m', orange: '\x1b[33m', yellow: '\x1b[93m', blue: '\x1b[36m' };
const RESET = '\x1b[0m';

export interface ConsoleReporterOptions {
  write: (line: string) => void;
  summaryIntervalMs: number;
  pointCount: number;
  annunciated: () => AlarmStatus[];
  colour: boolean;
}

function clock(ts: number): string {
  return new Date(ts).toTimeString().slice(0, 8);
}

/** Alarm changes as they happen, and a one-line summary every few seconds, for the terminal. */
export class ConsoleReporter {
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readingsSince = 0;
  private lastSummary = Date.now();
  private readonly badPoints = new Set<string>();

  constructor(private readonly o: ConsoleReporterOptions) {}

  start(readings$: Observable<Reading>, alarms$: Observable<AlarmEvent>): void {
    this.subs.push(
      readings$.subscribe((r) => {
        this.readingsSince++;
        if (isBad(r.quality)) this.badPoints.add(r.point);
        else this.badPoints.delete(r.point);
      }),
    );
    this.subs.push(alarms$.subscribe((e) => this.o.write(this.alarmLine(e))));
    if (this.o.summaryIntervalMs > 0) this.timer = setInterval(() => this.o.write(this.summaryLine()), this.o.summaryIntervalMs);
  }

  alarmLine(e: AlarmEvent): string {
    const sev = SEVERITY_INFO[e.severity];
    const tag = `${STATE_LABELS[e.state]}`.padEnd(6);
    const who = e.user ? ` 〔${e.user}${e.comment ? `: ${e.comment}` : ''}〕` : '';
    // The basis is shown when the alarm is raised: the operator learns which rule it enforces once, not on every ack.
    const basis = e.basis && e.active && e.state === 'UNACK' ? `  依据: ${e.basis}` : '';
    const text = `${clock(e.ts)} 报警 #${e.seq} ${tag} ${e.message}${who}  [${e.alarmId}]${basis}`;
    return this.o.colour && e.active ? `${COLOUR[sev.colour] ?? ''}${text}${RESET}` : text;
  }

  summaryLine(): string {
    const now = Date.now();
    const rate = (this.readingsSince * 1000) / Math.max(1, now - this.lastSummary);
    this.readingsSince = 0;
    this.lastSummary = now;
    const shown = this.o.annunciated();
    const unack = shown.filter((s) => s.state === 'UNACK' || s.state === 'RTN_UNACK' || s.state === 'LATCHED_UNACK').length;
    const bySev = [4, 3, 2, 1].map((s) => `${SEVERITY_INFO[s as 1 | 2 | 3 | 4].zh}${shown.filter((a) => a.severity === s && a.facts.active).length}`).join(' ');
    return `${clock(now)} 概况: 测点 ${this.o.pointCount} | 读数 ${rate.toFixed(1)}/秒 | 活动报警 ${shown.filter((s) => s.facts.active).length} (${bySev}) | 未确认 ${unack} | 坏质量测点 ${this.badPoints.size}`;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }
}
