import { Observable, Subscriber, Subscription, map, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { severitySchema, type Severity } from '../../gateway/core/alarm-event.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { Reading, ReadingValue } from '../../gateway/core/reading.js';
import { ExpressionError } from '../expression/lexer.js';
import { compileCondition } from '../expression/compile.js';
import { conditionLabel, type AlarmDefinition, type ConditionUpdate, type RuleContext } from '../condition.js';

/** Fields every rule kind has. */
export const ruleBaseFields = {
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'rule id may contain letters, digits, "_", "." and "-" only (it becomes part of alarm ids)'),
  severity: severitySchema.default(2),
  /** Latched alarms stay annunciated after the condition clears until reset. */
  latch: z.boolean().default(false),
  /** Chinese text replacing the generated message, e.g. 1#转炉氧枪冷却水进出水流量差大. */
  message: z.string().optional(),
  /** Annunciate again when still active this long after acknowledgement (default: alarms.reAlarm). */
  reAlarm: durationSchema.optional(),
  /** The standard and clause this alarm enforces, e.g. GB/T 50493-2019; shown with every event. */
  basis: z.string().min(1).optional(),
};

/** Upper-case condition code such as FAULT; names the alarm `<point or rule>:<condition>`. */
export const conditionCodeSchema = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'condition is an upper-case code such as DEV');

/** "While the equipment runs": a running bit, or an enumerated state equal to `equals`. */
export const gateSchema = z.strictObject({
  point: z.string().min(1),
  equals: z.union([z.boolean(), z.number()]).default(true),
});
export type Gate = z.infer<typeof gateSchema>;

/** A condition in the expression language; syntax and type errors are reported at the field. */
export const conditionExpressionSchema = z.string().superRefine((src, ctx) => {
  try {
    compileCondition(src);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
  }
});

/** Whether a reading's value means "on": a bit equal to `when`, or a number equal to it. */
export function valueMatches(value: ReadingValue, when: boolean | number): boolean | undefined {
  if (value === null) return undefined;
  if (typeof when === 'boolean') return typeof value === 'boolean' ? value === when : (value !== 0) === when;
  return typeof value === 'number' ? value === when : undefined;
}

/** The gate's state from a reading: undefined while Bad or not usable. */
export function gateOpen(r: Reading | undefined, gate: Gate): boolean | undefined {
  if (!r || isBad(r.quality)) return undefined;
  return valueMatches(r.value, gate.equals);
}

export function alarmDefinition(
  rule: { id: string; severity: Severity; latch: boolean; message?: string | undefined; reAlarm?: number | undefined; basis?: string | undefined },
  alarmId: string,
  point: string,
  condition: string,
  extra: { severity?: Severity; limit?: number | undefined } = {},
): AlarmDefinition {
  return {
    alarmId,
    point,
    condition,
    severity: extra.severity ?? rule.severity,
    label: conditionLabel(condition),
    message: rule.message,
    limit: extra.limit,
    latch: rule.latch,
    reAlarmMs: rule.reAlarm,
    ruleId: rule.id,
    ...(rule.basis !== undefined ? { basis: rule.basis } : {}),
  };
}

/**
 * Keeps the latest reading of its point in a shared map and re-emits the map downstream. The map
 * holds one slot per point, overwritten in place: retaining each incoming Reading until the next one
 * of its point would get it promoted to V8's old generation. Consumers read the map synchronously.
 */
class LatestSubscriber extends Subscriber<Reading> {
  private readonly slot: Reading;

  constructor(
    point: string,
    private readonly latest: Map<string, Reading>,
    private readonly downstream: Subscriber<{ latest: ReadonlyMap<string, Reading>; changed: Reading }>,
    private readonly onComplete: () => void,
  ) {
    super();
    this.slot = { point, value: null, quality: 'BadWaitingForInitialData', ts: 0, receivedAt: 0 };
  }

  protected override _next(r: Reading): void {
    const slot = this.slot;
    slot.value = r.value;
    slot.quality = r.quality;
    slot.ts = r.ts;
    slot.receivedAt = r.receivedAt;
    if (!this.latest.has(slot.point)) this.latest.set(slot.point, slot);
    this.downstream.next({ latest: this.latest, changed: r });
  }

  protected override _error(err: unknown): void {
    this.downstream.error(err);
  }

  protected override _complete(): void {
    this.onComplete();
  }
}

/**
 * Latest reading of each of several points, re-emitted whenever any of them updates. Subscribes to
 * each point directly (no merge): this runs for every reading of every multi-point rule.
 */
export function latestReadings(ctx: RuleContext, pointIds: readonly string[]): Observable<{ latest: ReadonlyMap<string, Reading>; changed: Reading }> {
  const ids = [...new Set(pointIds)];
  return new Observable((subscriber) => {
    const latest = new Map<string, Reading>();
    const subs = new Subscription();
    let open = ids.length;
    const onComplete = () => {
      if (--open === 0) subscriber.complete();
    };
    for (const id of ids) subs.add(ctx.point$(id).subscribe(new LatestSubscriber(id, latest, subscriber, onComplete)));
    return subs;
  });
}

/** Calls a function for every reading it receives; the bus calls it directly (one hop). */
class CallbackSubscriber extends Subscriber<Reading> {
  constructor(private readonly fn: (r: Reading) => void) {
    super();
  }
  protected override _next(r: Reading): void {
    this.fn(r);
  }
}

/** Subscribes `fn` to the readings of one point with a single hop from the bus. */
export function onReadings(ctx: RuleContext, pointId: string, fn: (r: Reading) => void): Subscription {
  return ctx.point$(pointId).subscribe(new CallbackSubscriber(fn));
}

/** Usable value of a reading for the expression language: undefined for Bad, missing or null. */
export function usableValue(r: Reading | undefined): number | boolean | undefined {
  if (!r || isBad(r.quality) || r.value === null) return undefined;
  if (typeof r.value === 'number' && !Number.isFinite(r.value)) return undefined;
  return r.value;
}

/**
 * A synthetic reading carrying a value derived from several points (a difference, a vote, an
 * expression's truth), so debouncedCondition can apply delays to it. An undefined result becomes a
 * Bad reading: the condition is unknown and neither raises nor clears.
 */
export function derivedReading(name: string, value: ReadingValue | undefined, at: Reading): Reading {
  return value === undefined
    ? { point: name, value: null, quality: 'Bad', ts: at.ts, receivedAt: at.receivedAt }
    : { point: name, value, quality: 'Good', ts: at.ts, receivedAt: at.receivedAt };
}

/** Adds a detail text, computed when the update is emitted, to condition updates. */
export function withDetail(detail: (u: ConditionUpdate) => string | undefined): OperatorFunction<ConditionUpdate, ConditionUpdate> {
  return map((u) => {
    const d = detail(u);
    return d === undefined ? u : { ...u, detail: d };
  });
}
