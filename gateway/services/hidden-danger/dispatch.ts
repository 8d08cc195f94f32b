import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { AlarmEvent, AlarmState } from '../../core/alarm-event.js';
import { globRegExp, type DispatchRule } from './config.js';
import type { AlarmFacts } from './loop.js';
import type { HiddenDangerRecord } from './record.js';

/** A duration as operators read it: 5 分钟, 1 小时, 7 天. */
export function zhDuration(ms: number): string {
  for (const [unit, name] of [[86_400_000, '天'], [3_600_000, '小时'], [60_000, '分钟'], [1000, '秒']] as const) {
    if (ms >= unit && ms % unit === 0) return `${ms / unit} ${name}`;
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} 秒` : `${ms} 毫秒`;
}

/** What the dispatcher asks of the rest of the service. */
export interface DispatchDeps {
  scheduler: SchedulerLike;
  /** The alarm as the alarm manager has it now (area, message, value), or undefined. */
  alarm(alarmId: string): (AlarmFacts & { active: boolean; activeSince?: number | undefined; ts: number }) | undefined;
  equipmentOf(point: string): string | undefined;
  /** Opens (or, deduplicated, notes on the open) record. */
  open(rule: DispatchRule, alarm: AlarmFacts, reason: string): void;
  /** Open records and the alarms linked to them. */
  openRecordOf(alarmId: string): HiddenDangerRecord | undefined;
  record(id: string): HiddenDangerRecord | undefined;
  proposeClosure(recordId: string, reason: string): void;
}

interface CompiledRule {
  rule: DispatchRule;
  ids: RegExp[] | undefined;
}

/**
 * 自动派单: watches the alarm events and opens hidden-danger records when a dispatch rule's trigger
 * fires — an alarm active for longer than `for`, chattering, or shelved too often — and proposes
 * closure when the alarms of a rectified record stayed normal long enough. Time comes from the
 * scheduler only (virtual in tests). After a restart an alarm still active is timed from its
 * activeSince and past shelves are given to start(); activation counts start again from zero.
 */
export class Dispatcher {
  private readonly rules: CompiledRule[];
  private readonly active = new Map<string, boolean>();
  private readonly lastState = new Map<string, AlarmState>();
  /** When each alarm last returned to normal (scheduler time). */
  private readonly normalSince = new Map<string, number>();
  private readonly activations = new Map<string, number[]>();
  private readonly shelves = new Map<string, number[]>();
  private readonly timers = new Map<string, Subscription>();
  private readonly closureTimers = new Map<string, Subscription>();
  private sub: Subscription | undefined;

  constructor(
    rules: readonly DispatchRule[],
    private readonly d: DispatchDeps,
  ) {
    this.rules = rules.map((rule) => ({ rule, ids: rule.match.alarmId?.map(globRegExp) }));
  }

  /** The longest window a `shelved` rule counts over (how far back past shelves matter), or 0. */
  get shelveWindow(): number {
    return Math.max(0, ...this.rules.map(({ rule }) => (rule.when.kind === 'shelved' ? rule.when.within : 0)));
  }

  /**
   * Starts from the alarms standing now (restored after a restart) and the shelves of the last
   * window (from the alarm journal's audit log), then follows the events.
   */
  start(events$: Observable<AlarmEvent>, standing: readonly string[], pastShelves: readonly { alarmId: string; ts: number }[] = []): void {
    const now = this.d.scheduler.now();
    for (const s of pastShelves) {
      if (s.ts <= now) (this.shelves.get(s.alarmId) ?? this.shelves.set(s.alarmId, []).get(s.alarmId)!).push(s.ts);
    }
    for (const alarmId of standing) {
      const a = this.d.alarm(alarmId);
      if (!a?.active) continue;
      this.active.set(alarmId, true);
      for (const c of this.matching(a)) {
        if (c.rule.when.kind !== 'active') continue;
        this.arm(c.rule, alarmId, Math.max(0, c.rule.when.for - (now - (a.activeSince ?? now))));
      }
    }
    this.sub = events$.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.sub?.unsubscribe();
    for (const t of [...this.timers.values(), ...this.closureTimers.values()]) t.unsubscribe();
    this.timers.clear();
    this.closureTimers.clear();
  }

  private matching(a: { alarmId: string; condition: string; severity: number; area: string; point: string }): CompiledRule[] {
    const equipment = this.d.equipmentOf(a.point);
    return this.rules.filter(({ rule, ids }) => {
      const m = rule.match;
      if (ids && !ids.some((re) => re.test(a.alarmId))) return false;
      if (m.condition && !m.condition.includes(a.condition)) return false;
      if (m.minSeverity !== undefined && a.severity < m.minSeverity) return false;
      if (m.area && !m.area.includes(a.area)) return false;
      if (m.equipment && (equipment === undefined || !m.equipment.includes(equipment))) return false;
      return true;
    });
  }

  private onEvent(e: AlarmEvent): void {
    const now = this.d.scheduler.now();
    const wasActive = this.active.get(e.alarmId) ?? false;
    const prevState = this.lastState.get(e.alarmId);
    this.active.set(e.alarmId, e.active);
    this.lastState.set(e.alarmId, e.state);
    const rising = e.active && !wasActive;
    const falling = !e.active && wasActive;
    const shelved = e.state === 'SHELVED' && prevState !== 'SHELVED';
    if (!rising && !falling && !shelved) return;
    const facts = this.d.alarm(e.alarmId);
    if (!facts) return;
    for (const c of this.matching(facts)) {
      const { rule } = c;
      const when = rule.when;
      if (when.kind === 'active') {
        if (rising) this.arm(rule, e.alarmId, when.for);
        if (falling) this.disarm(rule, e.alarmId);
      } else if (when.kind === 'chattering' && rising) {
        if (this.count(this.activations, e.alarmId, now, when.within) >= when.count) {
          this.activations.delete(e.alarmId);
          this.fire(rule, e.alarmId, `报警频繁波动：${zhDuration(when.within)}内触发 ${when.count} 次以上`);
        }
      } else if (when.kind === 'shelved' && shelved) {
        if (this.count(this.shelves, e.alarmId, now, when.within) >= when.count) {
          this.shelves.delete(e.alarmId);
          this.fire(rule, e.alarmId, `报警被反复搁置：${zhDuration(when.within)}内搁置 ${when.count} 次以上`);
        }
      }
    }
    if (rising) {
      this.normalSince.delete(e.alarmId);
      const r = this.d.openRecordOf(e.alarmId);
      if (r) this.cancelClosure(r.id);
    }
    if (falling) {
      this.normalSince.set(e.alarmId, now);
      const r = this.d.openRecordOf(e.alarmId);
      if (r) this.reviewClosure(r.id);
    }
  }

  /** Adds `now` to the alarm's list, drops what is older than `within`, and returns the count. */
  private count(map: Map<string, number[]>, alarmId: string, now: number, within: number): number {
    const list = (map.get(alarmId) ?? []).filter((t) => now - t < within);
    list.push(now);
    map.set(alarmId, list);
    return list.length;
  }

  private arm(rule: DispatchRule, alarmId: string, delay: number): void {
    const key = `${rule.id}|${alarmId}`;
    if (this.timers.has(key)) return;
    const what = rule.when.kind === 'active' && rule.when.for > 0 ? `报警持续超过 ${zhDuration(rule.when.for)}` : '报警触发';
    if (delay <= 0) {
      this.fire(rule, alarmId, what);
      return;
    }
    this.timers.set(
      key,
      this.d.scheduler.schedule(() => {
        this.timers.delete(key);
        if (this.active.get(alarmId)) this.fire(rule, alarmId, what);
      }, delay),
    );
  }

  private disarm(rule: DispatchRule, alarmId: string): void {
    const key = `${rule.id}|${alarmId}`;
    this.timers.get(key)?.unsubscribe();
    this.timers.delete(key);
  }

  private fire(rule: DispatchRule, alarmId: string, reason: string): void {
    const a = this.d.alarm(alarmId);
    if (a) this.d.open(rule, a, reason);
  }

  private cancelClosure(recordId: string): void {
    this.closureTimers.get(recordId)?.unsubscribe();
    this.closureTimers.delete(recordId);
  }

  /**
   * Proposes closure of a record when its rule asks for it, a rectification was submitted, and every
   * linked alarm has been normal for `proposeClosureAfter`; otherwise waits for the rest of that time.
   * Called when a linked alarm returns to normal and when the record is submitted for acceptance.
   */
  reviewClosure(recordId: string): void {
    this.cancelClosure(recordId);
    const r = this.d.record(recordId);
    const after = this.rules.find((c) => c.rule.id === r?.dispatchRule)?.rule.proposeClosureAfter;
    if (!r || after === undefined || r.state !== 'awaiting_acceptance' || r.closureProposal) return;
    const now = this.d.scheduler.now();
    let since = 0;
    for (const alarmId of r.alarmIds) {
      const a = this.d.alarm(alarmId);
      if (!a || a.active) return;
      since = Math.max(since, this.normalSince.get(alarmId) ?? a.ts);
    }
    const wait = since + after - now;
    if (wait <= 0) {
      this.d.proposeClosure(recordId, `报警已恢复正常超过 ${zhDuration(after)}，且已提交整改，建议验收销号`);
      return;
    }
    this.closureTimers.set(
      recordId,
      this.d.scheduler.schedule(() => {
        this.closureTimers.delete(recordId);
        this.reviewClosure(recordId);
      }, wait),
    );
  }
}
