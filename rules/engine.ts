import { createHash } from 'node:crypto';
import { distinctUntilChanged, filter, map, merge, type Observable, type SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import { isBad } from '../gateway/core/quality.js';
import type { PointDefinition } from '../gateway/config/point-schema.js';
import type { AlarmsSection, SuppressionConfig } from '../gateway/config/alarms-schema.js';
import { conditionLabel, type AlarmDefinition, type ConditionUpdate, type RuleContext } from './condition.js';
import { limitAlarmId, resolveLimits } from './limits.js';
import { ruleKind, type RuleConfig } from './registry.js';
import { thresholdConditionSpec, type ThresholdSpec } from './threshold.js';
import { badQualitySpec } from './quality-alarm.js';
import { ConditionDebouncer, runMachines, type ReadingMachine } from './debounced-condition.js';

/** A short digest of the config that built a rule: equal configs, equal fingerprints. */
function fingerprint(parts: unknown): string {
  return createHash('sha1').update(JSON.stringify(parts)).digest('base64');
}

/** One unit of evaluation: a rule, the limits of a point, or a point's quality diagnostic. */
export interface CompiledRule {
  id: string;
  /** Changes exactly when the config that built the rule changes (hot reload keeps equal ones running). */
  fingerprint: string;
  definitions: AlarmDefinition[];
  conditions$: Observable<ConditionUpdate>;
}

/** A suppression-by-design gate: while it is closed its alarms are SUPPRESSED. */
export interface CompiledGate {
  id: string;
  fingerprint: string;
  alarmIds: string[];
  reason?: string | undefined;
  /** true = suppress; emitted on change only, never on Bad readings of the gating point. */
  suppress$: Observable<{ suppress: boolean; ts: number }>;
}

export interface RuleSetInput {
  /** The config's `rules:`, `alarms:` and `suppression:` sections. */
  config: { rules: RuleConfig[]; alarms: AlarmsSection; suppression: SuppressionConfig[] };
  points: ReadonlyMap<string, PointDefinition>;
  point$: (pointId: string) => Observable<Reading>;
  scheduler: SchedulerLike;
}

export interface RuleSet {
  rules: CompiledRule[];
  gates: CompiledGate[];
  definitions: AlarmDefinition[];
  /** Every rule's updates merged; for tests and benchmarks that need no hot reload. */
  conditions$: Observable<ConditionUpdate>;
}

/**
 * The alarms that belong to one point itself: its LL/L/H/HH limits and its quality diagnostic, run
 * on one subscription (one hop from the bus per reading, however many conditions).
 */
function pointRule(p: PointDefinition, ctx: RuleContext, alarms: RuleSetInput['config']['alarms'], withQuality: boolean): CompiledRule | undefined {
  const limits = resolveLimits(p).limits;
  if (limits.length === 0 && !withQuality) return undefined;
  const definitions: AlarmDefinition[] = [];
  const specs: ThresholdSpec[] = [];
  for (const l of limits) {
    const alarmId = limitAlarmId(p.id, l.level);
    definitions.push({
      alarmId,
      point: p.id,
      condition: l.level,
      severity: l.severity,
      label: conditionLabel(l.level),
      message: l.message,
      limit: l.value,
      reAlarmMs: l.reAlarmMs ?? (alarms.reAlarm || undefined),
      ruleId: `${p.id}:point`,
      ...(l.basis !== undefined ? { basis: l.basis } : {}),
    });
    const direction = l.level === 'H' || l.level === 'HH' ? 'high' : 'low';
    specs.push({ alarmId, direction, limit: l.value, deadband: l.deadband, onDelayMs: l.onDelayMs, offDelayMs: l.offDelayMs });
  }
  const qualityId = `${p.id}:BAD_QUALITY`;
  if (withQuality) {
    definitions.push({ alarmId: qualityId, point: p.id, condition: 'BAD_QUALITY', severity: alarms.badQuality.severity, label: conditionLabel('BAD_QUALITY'), ruleId: `${p.id}:point` });
  }
  return {
    id: `${p.id}:point`,
    fingerprint: fingerprint([limits, withQuality && alarms.badQuality, p.name, p.unit, p.equipment, p.area, alarms.reAlarm]),
    definitions,
    conditions$: ctx.point$(p.id).pipe(
      runMachines((emit) => {
        const machines: ReadingMachine[] = specs.map((spec) => new ConditionDebouncer(thresholdConditionSpec(spec), ctx.scheduler, emit));
        if (withQuality) machines.push(new ConditionDebouncer(badQualitySpec(qualityId, alarms.badQuality.onDelay), ctx.scheduler, emit));
        return machines;
      }),
    ),
  };
}

/**
 * Compiles every alarm of a config: point limits, the `rules:` section, the quality diagnostic of
 * each alarmed point, and suppression gates. Pure: no I/O, no clock; subscribing starts evaluation.
 */
export function buildRuleSet(input: RuleSetInput): RuleSet {
  const ctx: RuleContext = {
    point$: input.point$,
    point: (id) => {
      const p = input.points.get(id);
      if (!p) throw new Error(`rule refers to unknown point ${id}`);
      return p;
    },
    scheduler: input.scheduler,
  };
  const { alarms } = input.config;
  const rules: CompiledRule[] = [];
  // Every point an alarm depends on gets a quality diagnostic: a Bad input of a multi-point rule
  // holds that rule's alarm, and the operator must be told why.
  const watched = new Set<string>();
  for (const rule of input.config.rules) {
    const kind = ruleKind(rule.kind);
    const definitions = kind.alarms(rule, input.points).map((d) => ({ ...d, reAlarmMs: d.reAlarmMs ?? (alarms.reAlarm || undefined) }));
    rules.push({ id: rule.id, fingerprint: fingerprint([rule, definitions]), definitions, conditions$: kind.build(rule, ctx) });
    for (const d of definitions) watched.add(d.point);
    for (const p of kind.inputs(rule)) watched.add(p);
  }
  for (const p of input.points.values()) {
    const hasLimits = resolveLimits(p).limits.length > 0;
    const r = pointRule(p, ctx, alarms, alarms.badQuality.enabled && (hasLimits || watched.has(p.id)));
    if (r) rules.push(r);
  }
  const allAlarms = rules.flatMap((r) => r.definitions);
  const gates: CompiledGate[] = input.config.suppression.map((s) => {
    const pointSet = new Set(s.points);
    const alarmIds = [...new Set([...allAlarms.filter((d) => pointSet.has(d.point) && d.condition !== 'BAD_QUALITY').map((d) => d.alarmId), ...s.alarms])];
    return {
      id: s.id,
      fingerprint: fingerprint([s, alarmIds]),
      alarmIds,
      reason: s.reason,
      suppress$: ctx.point$(s.when.point).pipe(
        filter((r) => !isBad(r.quality) && r.value !== null),
        map((r) => ({ suppress: typeof s.when.equals === 'boolean' ? Boolean(r.value) === s.when.equals : r.value === s.when.equals, ts: r.ts })),
        distinctUntilChanged((a, b) => a.suppress === b.suppress),
      ),
    };
  });
  return { rules, gates, definitions: allAlarms, conditions$: merge(...rules.map((r) => r.conditions$)) };
}
