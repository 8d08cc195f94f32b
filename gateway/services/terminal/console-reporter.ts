import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { AlarmEvent } from '../../core/alarm-event.js';
import { SEVERITY_INFO } from '../../core/alarm-event.js';
import { isBad } from '../../core/quality.js';
import type { PointRegistry } from '../../core/point-registry.js';
import { untrustedText } from '../../core/untrusted-text.js';
import { STATE_LABELS } from '../../alarms/messages.js';
import type { AlarmStatus } from '../../alarms/alarm-manager.js';

const COLOUR: Record<string, string> = { red: '\x1b[31m', orange: '\x1b[33m', yellow: '\x1b[93m', blue: '\x1b[36m' };
const RESET = '\x1b[0m';

export interface ConsoleReporterOptions {
  write: (line: string) => void;
  summaryIntervalMs: number;
  points: PointRegistry;
  /** Readings published on the bus so far (a plain counter; the reporter takes rates from it). */
  readingsPublished: () => number;
  annunciated: () => AlarmStatus[];
  colour: boolean;
  scheduler: SchedulerLike;
}

/** The last second formatted: an alarm burst formats the same second many times (toTimeString ≈ 15 µs). */
let clockSecond = NaN;
let clockText = '';

function clock(ts: number): string {
  const second = Math.floor(ts / 1000);
  if (second !== clockSecond) {
    clockSecond = second;
    clockText = new Date(ts).toTimeString().slice(0, 8);
  }
  return clockText;
}

/** Alarm changes as they happen, and a one-line summary every few seconds, for the terminal. */
export class ConsoleReporter {
  private readonly subs: Subscription[] = [];
  private timer: Subscription | undefined;
  private readingsAtLastSummary = 0;
  private lastSummary: number;

  constructor(private readonly o: ConsoleReporterOptions) {
    this.lastSummary = o.scheduler.now();
  }

  start(alarms$: Observable<AlarmEvent>): void {
    this.readingsAtLastSummary = this.o.readingsPublished();
    this.subs.push(alarms$.subscribe((e) => this.o.write(this.alarmLine(e))));
    const interval = this.o.summaryIntervalMs;
    if (interval > 0) {
      const tick = (): void => {
        this.o.write(this.summaryLine());
        this.timer = this.o.scheduler.schedule(tick, interval);
      };
      this.timer = this.o.scheduler.schedule(tick, interval);
    }
  }

  private badPointCount(): number {
    let n = 0;
    for (const id of this.o.points.keys()) {
      const v = this.o.points.latest(id);
      if (v !== undefined && isBad(v.quality)) n++;
    }
    return n;
  }

  alarmLine(e: AlarmEvent): string {
    const sev = SEVERITY_INFO[e.severity];
    const tag = `${STATE_LABELS[e.state]}`.padEnd(6);
    // User, comment and message carry operator, device and config text: escaped, so none of it can
    // start a line of its own ("报警 #99 …") or change the terminal's colours.
    const who = e.user ? ` 〔${untrustedText(e.user, 64)}${e.comment ? `: ${untrustedText(e.comment)}` : ''}〕` : '';
    // The basis is shown when the alarm is raised: the operator learns which rule it enforces once, not on every ack.
    const basis = e.basis && e.active && e.state === 'UNACK' ? `  依据: ${untrustedText(e.basis)}` : '';
    const text = `${clock(e.ts)} 报警 #${e.seq} ${tag} ${untrustedText(e.message)}${who}  [${untrustedText(e.alarmId, 200)}]${basis}`;
    return this.o.colour && e.active ? `${COLOUR[sev.colour] ?? ''}${text}${RESET}` : text;
  }

  summaryLine(): string {
    const now = this.o.scheduler.now();
    const published = this.o.readingsPublished();
    const rate = ((published - this.readingsAtLastSummary) * 1000) / Math.max(1, now - this.lastSummary);
    this.readingsAtLastSummary = published;
    this.lastSummary = now;
    const shown = this.o.annunciated();
    const unack = shown.filter((s) => s.state === 'UNACK' || s.state === 'RTN_UNACK' || s.state === 'LATCHED_UNACK').length;
    const bySev = [4, 3, 2, 1].map((s) => `${SEVERITY_INFO[s as 1 | 2 | 3 | 4].zh}${shown.filter((a) => a.severity === s && a.facts.active).length}`).join(' ');
    return `${clock(now)} 概况: 测点 ${this.o.points.size} | 读数 ${rate.toFixed(1)}/秒 | 活动报警 ${shown.filter((s) => s.facts.active).length} (${bySev}) | 未确认 ${unack} | 坏质量测点 ${this.badPointCount()}`;
  }

  stop(): void {
    this.timer?.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
  }
}
