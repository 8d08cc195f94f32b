import type { Severity } from '../gateway/core/alarm-event.js';
import { DEFAULT_SEVERITY, LIMIT_LEVELS, type LimitLevel, type LimitsConfig } from '../gateway/config/limits-schema.js';
import type { BasePoint } from '../gateway/config/point-schema.js';
import { LIMIT_PRESETS, normaliseUnit } from './presets.js';

export interface ResolvedLimit {
  level: LimitLevel;
  value: number;
  severity: Severity;
  /** Absolute, engineering units. */
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
  reAlarmMs?: number | undefined;
  message?: string | undefined;
  basis?: string | undefined;
}

/** A problem found while resolving limits; `path` is relative to the point's `limits`. */
export interface LimitProblem {
  path: (string | number)[];
  message: string;
}

function deadbandValue(db: number | string | undefined, point: BasePoint, path: (string | number)[], problems: LimitProblem[]): number {
  if (db === undefined) return 0;
  if (typeof db === 'number') return db;
  const pct = Number(db.slice(0, -1));
  if (!point.range) {
    problems.push({ path, message: `a percentage deadband needs the point's range (range: { low, high })` });
    return 0;
  }
  return ((point.range.high - point.range.low) * pct) / 100;
}

/**
 * The effective limits of a point: preset values, overridden level by level by the point's own,
 * with deadband and delays from the level or else from `limits`. Problems (unit mismatch with the
 * preset, percentage deadband without range, limits out of order) are returned, not thrown, so the
 * config loader can report them all with their paths.
 */
export function resolveLimits(point: BasePoint, limits: LimitsConfig | undefined = point.limits): { limits: ResolvedLimit[]; problems: LimitProblem[] } {
  const problems: LimitProblem[] = [];
  if (!limits) return { limits: [], problems };
  const preset = limits.preset ? LIMIT_PRESETS[limits.preset] : undefined;
  if (preset && normaliseUnit(preset.unit) !== normaliseUnit(point.unit)) {
    problems.push({ path: ['preset'], message: `preset ${limits.preset} is in ${preset.unit} but the point's unit is "${point.unit}"` });
  }
  const commonDeadband = deadbandValue(limits.deadband, point, ['deadband'], problems);
  const resolved: ResolvedLimit[] = [];
  for (const level of LIMIT_LEVELS) {
    const own = limits[level];
    const presetValue = preset ? (preset as Partial<Record<LimitLevel, number>>)[level] : undefined;
    if (own === undefined && presetValue === undefined) continue;
    const detail = typeof own === 'object' ? own : undefined;
    const value = typeof own === 'number' ? own : (detail?.value ?? presetValue!);
    resolved.push({
      level,
      value,
      severity: detail?.severity ?? DEFAULT_SEVERITY[level],
      deadband: detail?.deadband !== undefined ? deadbandValue(detail.deadband, point, [level, 'deadband'], problems) : commonDeadband,
      onDelayMs: detail?.onDelay ?? limits.onDelay ?? 0,
      offDelayMs: detail?.offDelay ?? limits.offDelay ?? 0,
      reAlarmMs: detail?.reAlarm ?? limits.reAlarm,
      message: detail?.message,
      basis: detail?.basis ?? limits.basis ?? preset?.basis,
    });
  }
  // Limits must nest: LL < L < H < HH, or an HH alarm could come before its H.
  const order: LimitLevel[] = ['LL', 'L', 'H', 'HH'];
  const present = order.map((lv) => resolved.find((r) => r.level === lv)).filter((r): r is ResolvedLimit => r !== undefined);
  for (let i = 1; i < present.length; i++) {
    const lo = present[i - 1]!;
    const hi = present[i]!;
    if (!(lo.value < hi.value)) {
      problems.push({ path: [hi.level], message: `${hi.level} (${hi.value}) must be greater than ${lo.level} (${lo.value})` });
    }
  }
  return { limits: resolved, problems };
}

export function limitAlarmId(pointId: string, level: LimitLevel): string {
  return `${pointId}:${level}`;
}
