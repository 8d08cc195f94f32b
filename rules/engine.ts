import { merge, type Observable, type SchedulerLike } from 'rxjs';
import type { Reading } from '../gateway/core/reading.js';
import type { GatewayConfig, PointDefinition } from '../gateway/config/schema.js';
import { conditionLabel, type AlarmDefinition, type ConditionUpdate, type RuleContext } from './condition.js';
import { limitAlarmId, resolveLimits } from './limits.js';
import { ruleKind } from './registry.js';
import { thresholdAlarm } from './threshold.js';

export interface RuleSet {
  definitions: AlarmDefinition[];
  /** Every rule's condition updates, merged. Subscribing starts evaluation. */
  conditions$: Observable<ConditionUpdate>;
}

export interface RuleSetInput {
  config: Pick<GatewayConfig, 'rules'>;
  points: ReadonlyMap<string, PointDefinition>;
  point$(pointId: string): Observable<Reading>;
  scheduler: SchedulerLike;
}

/** Threshold alarms from the `limits:` of every point. */
function limitRules(points: ReadonlyMap<string, PointDefinition>, ctx: RuleContext): { defs: AlarmDefinition[]; streams: Observable<ConditionUpdate>[] } {
  const defs: AlarmDefinition[] = [];
  const streams: Observable<ConditionUpdate>[] = [];
  for (const p of points.values()) {
    for (const l of resolveLimits(p).limits) {
      const alarmId = limitAlarmId(p.id, l.level);
      defs.push({ alarmId, point: p.id, condition: l.level, severity: l.severity, label: conditionLabel(l.level), message: l.message, limit: l.value, ruleId: `${p.id}:limits` });
      const direction = l.level === 'H' || l.level === 'HH' ? 'high' : 'low';
      streams.push(ctx.point$(p.id).pipe(thresholdAlarm({ alarmId, direction, limit: l.value, deadband: l.deadband, onDelayMs: l.onDelayMs, offDelayMs: l.offDelayMs }, ctx.scheduler)));
    }
  }
  return { defs, streams };
}

/** Builds every alarm of a config: point limits and the `rules:` section. Pure: no I/O, no clock. */
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
  const { defs, streams } = limitRules(input.points, ctx);
  for (const rule of input.config.rules) {
    const kind = ruleKind(rule.kind);
    defs.push(...kind.alarms(rule, input.points));
    streams.push(kind.build(rule, ctx));
  }
  return { definitions: defs, conditions$: merge(...streams) };
}
