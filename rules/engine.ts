import { distinctUntilChanged, filter, map, merge, type Observable, type SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import { isBad } from '../gateway/core/quality.js';
import type { GatewayConfig, PointDefinition } from '../gateway/config/schema.js';
import { conditionLabel, type AlarmDefinition, type ConditionUpdate, type RuleContext } from './condition.js';
import { limitAlarmId, resolveLimits } from './limits.js';
import { ruleKind } from './registry.js';
import { thresholdAlarms, type ThresholdSpec } from './threshold.js';
import { badQualityAlarm } from './quality-alarm.js';

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
  config: Pick<GatewayConfig, 'rules' | 'alarms' | 'suppression'>;
  points: ReadonlyMap<string, PointDefinition>;
  point$(pointId: string): Observable<Reading>;
  scheduler: SchedulerLike;
}

export interface RuleSet {
  rules: CompiledRule[];
  gates: CompiledGate[];
  definitions: AlarmDefinition[];
  /** Every rule's updates merged; for tests and benchmarks that need no hot reload. */
  conditions$: Observable<ConditionUpdate>;
}

function limitRule(p: PointDefinition, ctx: RuleContext, defaultReAlarm: number): CompiledRule | undefined {
  const limits = resolveLimits(p).limits;
  if (limits.length === 0) return undefined;
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
      reAlarmMs: l.reAlarmMs ?? (defaultReAlarm || undefined),
      ruleId: `${p.id}:limits`,
    });
    const direction = l.level === 'H' || l.level === 'HH' ? 'high' : 'low';
    specs.push({ alarmId, direction, limit: l.value, deadband: l.deadband, onDelayMs: l.onDelayMs, offDelayMs: l.offDelayMs });
  }
  return {
    id: `${p.id}:limits`,
    fingerprint: JSON.stringify([limits, p.name, p.unit, p.equipment, p.area, defaultReAlarm]),
    definitions,
    conditions$: ctx.point$(p.id).pipe(thresholdAlarms(specs, ctx.scheduler)),
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
  for (const p of input.points.values()) {
    const r = limitRule(p, ctx, alarms.reAlarm);
    if (r) rules.push(r);
  }
  // Every point an alarm depends on gets a quality diagnostic: a Bad input of a multi-point rule
  // holds that rule's alarm, and the operator must be told why.
  const watched = new Set<string>(rules.flatMap((r) => r.definitions.map((d) => d.point)));
  for (const rule of input.config.rules) {
    const kind = ruleKind(rule.kind);
    const definitions = kind.alarms(rule, input.points).map((d) => ({ ...d, reAlarmMs: d.reAlarmMs ?? (alarms.reAlarm || undefined) }));
    rules.push({ id: rule.id, fingerprint: JSON.stringify([rule, definitions]), definitions, conditions$: kind.build(rule, ctx) });
    for (const p of kind.inputs(rule)) watched.add(p);
  }
  if (alarms.badQuality.enabled) {
    const alarmed = [...watched].filter((p) => input.points.has(p));
    for (const pointId of alarmed) {
      const alarmId = `${pointId}:BAD_QUALITY`;
      const def: AlarmDefinition = { alarmId, point: pointId, condition: 'BAD_QUALITY', severity: alarms.badQuality.severity, label: conditionLabel('BAD_QUALITY'), ruleId: `${pointId}:quality` };
      rules.push({
        id: def.ruleId,
        fingerprint: JSON.stringify([def, alarms.badQuality]),
        definitions: [def],
        conditions$: ctx.point$(pointId).pipe(badQualityAlarm(alarmId, alarms.badQuality.onDelay, ctx.scheduler)),
      });
    }
  }
  const allAlarms = rules.flatMap((r) => r.definitions);
  const gates: CompiledGate[] = input.config.suppression.map((s) => {
    const pointSet = new Set(s.points);
    const alarmIds = [...new Set([...allAlarms.filter((d) => pointSet.has(d.point) && d.condition !== 'BAD_QUALITY').map((d) => d.alarmId), ...s.alarms])];
    return {
      id: s.id,
      fingerprint: JSON.stringify([s, alarmIds]),
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
