import { Observable, Subscription } from 'rxjs';
import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { durationSchema, formatDuration } from '../../gateway/core/duration.js';
import { isBad } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';
import { compileCondition, conditionPoints } from '../expression/compile.js';
import { alarmDefinition, conditionExpressionSchema, gateOpen, gateSchema, onReadings, ruleBaseFields, usableValue } from './common.js';

/**
 * Confined-space entry (有限空间: 先通风、再检测、后作业), two checks in one rule:
 * - sequence: when people go in, a passing gas test must have been made while the space was being
 *   ventilated, no longer than `testValidFor` before → else `<rule id>:SEQUENCE` until the entry ends;
 * - monitoring: while people are inside, each `monitor` point must keep reporting Good readings at
 *   least every `monitorTimeout` → else `<rule id>:MONITOR` until it reports again or the entry ends.
 *
 * ```yaml
 * - id: cs1.entry
 *   kind: entry-sequence
 *   inside: { point: cs1.people_inside, equals: true }
 *   ventilation: { point: cs1.fan_running, equals: true }
 *   test: cs1.o2 >= 19.5 and cs1.o2 <= 23.5 and cs1.lel < 25 and cs1.h2s < 10 and cs1.co < 24
 *   testValidFor: 30m
 *   monitor: [cs1.o2, cs1.lel, cs1.h2s, cs1.co]
 *   monitorTimeout: 1m
 *   severity: 4
 * ```
 * A test counts when the test condition is true while ventilation runs; Bad or missing readings make
 * it unknown (no pass). Time is the scheduler's.
 */
export const entrySequenceRuleSchema = z.strictObject({
  ...ruleBaseFields,
  kind: z.literal('entry-sequence'),
  severity: severitySchema.default(4),
  inside: gateSchema,
  ventilation: gateSchema,
  test: conditionExpressionSchema,
  testValidFor: durationSchema.default(30 * 60_000),
  monitor: z.array(z.string().min(1)).default([]),
  monitorTimeout: durationSchema.default(60_000),
  monitorSeverity: severitySchema.default(3),
  /** Point the alarms show under (default: the inside point). */
  point: z.string().min(1).optional(),
});
export type EntrySequenceRule = z.infer<typeof entrySequenceRuleSchema>;

const shownPoint = (rule: EntrySequenceRule) => rule.point ?? rule.inside.point;

export const entrySequenceRule: RuleKind<typeof entrySequenceRuleSchema> = {
  kind: 'entry-sequence',
  schema: entrySequenceRuleSchema,
  inputs: (rule) => [...new Set([rule.inside.point, rule.ventilation.point, ...conditionPoints(rule.test), ...rule.monitor, ...(rule.point ? [rule.point] : [])])],
  alarms: (rule) => [
    alarmDefinition(rule, `${rule.id}:SEQUENCE`, shownPoint(rule), 'SEQUENCE'),
    ...(rule.monitor.length > 0 ? [alarmDefinition(rule, `${rule.id}:MONITOR`, shownPoint(rule), 'MONITOR', { severity: rule.monitorSeverity })] : []),
  ],
  build: (rule, ctx) =>
    new Observable<ConditionUpdate>((subscriber) => {
      const test = compileCondition(rule.test);
      const testPoints = new Set(test.points);
      const latest = new Map<string, Reading>();
      const now = () => ctx.scheduler.now();
      let inside: boolean | undefined;
      let ventilating: boolean | undefined;
      let passAt: number | undefined;
      let testedUnventilated = false;
      let sequenceActive: boolean | undefined;
      let monitorActive: boolean | undefined;
      const lastGood = new Map<string, number>();
      const timers = new Map<string, Subscription>();
      const silent = new Set<string>();
      const seqId = `${rule.id}:SEQUENCE`;
      const monId = `${rule.id}:MONITOR`;
      const value = () => usableValue(latest.get(shownPoint(rule))) ?? null;

      const emitSequence = (active: boolean, detail?: string) => {
        if (sequenceActive === active) return;
        sequenceActive = active;
        subscriber.next({ alarmId: seqId, active, value: value(), ts: now(), ...(detail ? { detail } : {}) });
      };
      const emitMonitor = () => {
        if (rule.monitor.length === 0) return;
        const active = inside === true && silent.size > 0;
        if (monitorActive === active) return;
        monitorActive = active;
        subscriber.next({ alarmId: monId, active, value: value(), ts: now(), ...(active ? { detail: `${[...silent].join(', ')} 超过 ${formatDuration(rule.monitorTimeout)} 无有效读数` } : {}) });
      };
      const arm = (point: string, delay: number) => {
        timers.get(point)?.unsubscribe();
        timers.set(
          point,
          ctx.scheduler.schedule(() => {
            timers.delete(point);
            silent.add(point);
            emitMonitor();
          }, Math.max(0, delay)),
        );
      };
      const evaluateTest = () => {
        const ok = test.evaluate((id) => usableValue(latest.get(id)));
        if (ok !== true) return;
        if (ventilating === true) passAt = now();
        else testedUnventilated = true;
      };
      const onEntry = () => {
        const t = now();
        if (passAt !== undefined && t - passAt <= rule.testValidFor) emitSequence(false);
        else if (passAt !== undefined) emitSequence(true, `进入前的合格检测已超过 ${formatDuration(rule.testValidFor)}`);
        else emitSequence(true, testedUnventilated ? '检测前未通风' : '进入前未检测合格');
        for (const p of rule.monitor) arm(p, rule.monitorTimeout - (t - (lastGood.get(p) ?? t)));
      };
      const onExit = () => {
        emitSequence(false);
        for (const s of timers.values()) s.unsubscribe();
        timers.clear();
        silent.clear();
        emitMonitor();
      };

      const subs = new Subscription();
      const points = entrySequenceRule.inputs(rule);
      for (const id of points) {
        subs.add(
          onReadings(ctx, id, (r) => {
            latest.set(id, { ...r });
            if (id === rule.ventilation.point) ventilating = gateOpen(r, rule.ventilation);
            if (rule.monitor.includes(id) && !isBad(r.quality) && r.value !== null) {
              lastGood.set(id, now());
              if (inside) {
                arm(id, rule.monitorTimeout);
                if (silent.delete(id)) emitMonitor();
              }
            }
            // A test is a new gas reading: the inside or fan signal changing proves nothing.
            if (testPoints.has(id)) evaluateTest();
            if (id === rule.inside.point) {
              const next = gateOpen(r, rule.inside);
              if (next === undefined) return;
              const was = inside;
              inside = next;
              if (next && was !== true) onEntry();
              else if (!next && was !== false) onExit();
            }
          }),
        );
      }
      subs.add(() => {
        for (const s of timers.values()) s.unsubscribe();
      });
      return subs;
    }),
};
