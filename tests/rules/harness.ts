import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { z } from 'zod';
import type { PointDefinition } from '../../gateway/config/schema.js';
import type { QualityCode } from '../../gateway/core/quality.js';
import type { Reading, ReadingValue } from '../../gateway/core/reading.js';
import type { ConditionUpdate, RuleContext, RuleKind } from '../../rules/condition.js';

/**
 * Virtual-time bench for one rule: readings are pushed at chosen virtual times (ms) through
 * per-point subjects, the rule runs on a TestScheduler, and its condition updates are collected.
 */
export class RuleBench<S extends z.ZodType<{ id: string; kind: string }>> {
  readonly scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  readonly updates: ConditionUpdate[] = [];
  private readonly subjects = new Map<string, Subject<Reading>>();

  constructor(
    kind: RuleKind<S>,
    ruleInput: z.input<S>,
    points: Record<string, Partial<PointDefinition>> = {},
  ) {
    this.scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const ctx: RuleContext = {
      point$: (id) => this.subject(id).asObservable(),
      point: (id) => ({ id, name: id, unit: '', area: 'default', device: 'dev', ...points[id] }),
      scheduler: this.scheduler,
    };
    const rule = kind.schema.parse(ruleInput);
    kind.build(rule, ctx).subscribe((u) => this.updates.push(u));
  }

  private subject(id: string): Subject<Reading> {
    let s = this.subjects.get(id);
    if (!s) {
      s = new Subject<Reading>();
      this.subjects.set(id, s);
    }
    return s;
  }

  /** Pushes a reading at virtual time `t` (its source timestamp is `t` unless `ts` is given). */
  at(t: number, point: string, value: ReadingValue, quality: QualityCode = 'Good', ts?: number): this {
    this.scheduler.schedule(() => this.subject(point).next({ point, value, quality, ts: ts ?? this.scheduler.now(), receivedAt: this.scheduler.now() }), t);
    return this;
  }

  /** Pushes the same point every `step` ms from `from` to `to` inclusive, value from a function of time. */
  series(point: string, from: number, to: number, step: number, value: (t: number) => ReadingValue, quality: QualityCode = 'Good'): this {
    for (let t = from; t <= to; t += step) this.at(t, point, value(t), quality);
    return this;
  }

  run(): this {
    this.scheduler.flush();
    return this;
  }

  /** Compact view of the updates: [ts, active]. */
  get transitions(): [number, boolean][] {
    return this.updates.map((u) => [u.ts, u.active]);
  }
}
