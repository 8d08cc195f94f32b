import type { Subscription } from 'rxjs';
import type { AlarmManager } from '../alarms/alarm-manager.js';
import type { CompiledGate, CompiledRule, RuleSet } from '../../rules/engine.js';
import type { Logger } from '../core/logger.js';

interface Running<T> {
  item: T;
  sub: Subscription;
}

/**
 * Keeps the compiled rules subscribed and feeding the alarm manager. On a reload only rules whose
 * fingerprint changed are restarted, so unchanged rules keep their delays and state mid-flight.
 */
export class RuleRunner {
  private readonly rules = new Map<string, Running<CompiledRule>>();
  private readonly gates = new Map<string, Running<CompiledGate>>();
  /** Which gates currently suppress each alarm (several gates may name one alarm). */
  private readonly closedGates = new Map<string, Set<string>>();

  constructor(
    private readonly alarms: AlarmManager,
    private readonly log: Logger,
  ) {}

  /** Starts, keeps or restarts rules to match the rule set; returns what changed. */
  apply(set: RuleSet): { started: number; kept: number; stopped: number } {
    const changes = this.alarms.redefine(set.definitions);
    if (changes.added.length + changes.changed.length + changes.removed.length > 0) {
      this.log.info(`alarms: ${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed`);
    }
    const r = sync(this.rules, set.rules, (rule) => rule.conditions$.subscribe((u) => this.alarms.apply(u)));
    for (const id of [...this.gates.keys()]) if (!set.gates.some((g) => g.id === id && g.fingerprint === this.gates.get(id)!.item.fingerprint)) this.openGate(id);
    const g = sync(this.gates, set.gates, (gate) => gate.suppress$.subscribe(({ suppress, ts }) => this.setGate(gate, suppress, ts)));
    return { started: r.started + g.started, kept: r.kept + g.kept, stopped: r.stopped + g.stopped };
  }

  private setGate(gate: CompiledGate, closed: boolean, ts: number): void {
    for (const alarmId of gate.alarmIds) {
      let set = this.closedGates.get(alarmId);
      if (!set) this.closedGates.set(alarmId, (set = new Set()));
      if (closed) set.add(gate.id);
      else set.delete(gate.id);
      this.alarms.setSuppressed(alarmId, set.size > 0, ts, closed ? (gate.reason ?? `抑制: ${gate.id}`) : '解除抑制');
    }
  }

  /** A gate removed or changed by a reload releases its alarms. */
  private openGate(id: string): void {
    const running = this.gates.get(id);
    if (running) this.setGate(running.item, false, Date.now());
  }

  stop(): void {
    for (const r of this.rules.values()) r.sub.unsubscribe();
    for (const g of this.gates.values()) g.sub.unsubscribe();
    this.rules.clear();
    this.gates.clear();
  }
}

function sync<T extends { id: string; fingerprint: string }>(running: Map<string, Running<T>>, wanted: readonly T[], start: (item: T) => Subscription) {
  const next = new Map(wanted.map((w) => [w.id, w]));
  let stopped = 0;
  let started = 0;
  let kept = 0;
  for (const [id, r] of running) {
    const w = next.get(id);
    if (!w || w.fingerprint !== r.item.fingerprint) {
      r.sub.unsubscribe();
      running.delete(id);
      stopped++;
    }
  }
  for (const w of wanted) {
    if (running.has(w.id)) {
      kept++;
      continue;
    }
    running.set(w.id, { item: w, sub: start(w) });
    started++;
  }
  return { started, stopped, kept };
}
