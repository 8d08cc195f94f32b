
import { LIMIT_LEVELS, type LimitsConfig } from '../../gateway/config/limits-schema.js';
import type { PointDefinition } from '../../gateway/core/point.js';
import { LIMIT_PRESETS, normaliseUnit } from '../presets.js';
import { ruleSchema, type RuleConfig } from '../registry.js';
import { packRuleId, type PackFinding, type PackInput } from './pack.js';
import { findPack } from './registry.js';

/** One `equipment:` entry as the config schema parses it. */
export interface EquipmentConfig {
  id: string;
  type: string;
  name: string;
  bind: Record<string, string>;
  params?: unknown;
  disable: string[];
}

type Path = (string | number)[];

export interface ExpandedRule {
  rule: RuleConfig;
  equipment: string;
  /** Index of the entry in `equipment:`, for error paths. */
  index: number;
  check: string;
}

export interface ExpandedLimits {
  point: string;
  limits: LimitsConfig;
  equipment: string;
  index: number;
  check: string;
  /** Where the point is named, relative to the entry (for error paths). */
  path: Path;
}

export interface ExpandedFinding extends PackFinding {
  equipment: string;
  index: number;
}

export interface Expansion {
  rules: ExpandedRule[];
  limits: ExpandedLimits[];
  findings: ExpandedFinding[];
  /** Config errors with paths from the config root. */
  problems: { path: Path; message: string }[];
}

type Suggest = (word: string, candidates: readonly string[]) => string;

/**
 * Expands every equipment entry into the limits and rules of its pack. Bindings are checked first
 * (unknown indicator, missing required indicator, unknown point, wrong unit, unknown check in
 * `disable`); an entry with binding problems expands to nothing, so one mistake gives one error.
 * Pure: the same config always gives the same expansion.
 */
export function expandEquipment(list: readonly EquipmentConfig[], points: ReadonlyMap<string, PointDefinition>, suggest: Suggest): Expansion {
  const out: Expansion = { rules: [], limits: [], findings: [], problems: [] };
  list.forEach((eq, index) => {
    const at = (...p: Path): Path => ['equipment', index, ...p];
    const pack = findPack(eq.type);
    if (!pack) {
      out.problems.push({ path: at('type'), message: `unknown equipment type "${eq.type}"` });
      return;
    }
    const before = out.problems.length;
    const indicatorNames = Object.keys(pack.indicators);
    for (const [indicator, pointId] of Object.entries(eq.bind)) {
      const spec = pack.indicators[indicator];
      if (!spec) {
        out.problems.push({ path: at('bind', indicator), message: `unknown indicator "${indicator}" of ${pack.name} (${pack.type})${suggest(indicator, indicatorNames)}; known: ${indicatorNames.join(', ')}` });
        continue;
      }
      const p = points.get(pointId);
      if (!p) {
        out.problems.push({ path: at('bind', indicator), message: `unknown point "${pointId}"${suggest(pointId, [...points.keys()])}` });
        continue;
      }
      if (spec.units && !spec.units.some((u) => normaliseUnit(u) === normaliseUnit(p.unit))) {
        out.problems.push({ path: at('bind', indicator), message: `${spec.name} (${indicator}) must be in ${spec.units.join(' or ')}, but point "${pointId}" has unit "${p.unit}"` });
      }
    }
    for (const [indicator, spec] of Object.entries(pack.indicators)) {
      if (spec.required !== false && eq.bind[indicator] === undefined) {
        out.problems.push({ path: at('bind'), message: `missing binding "${indicator}" (${spec.name}) of ${pack.name}: bind it to a point` });
      }
    }
    eq.disable.forEach((check, i) => {
      if (!(check in pack.checks)) out.problems.push({ path: at('disable', i), message: `unknown check "${check}" of ${pack.name}${suggest(check, Object.keys(pack.checks))}` });
    });
    const input: PackInput<unknown> = {
      id: eq.id,
      name: eq.name,
      params: eq.params,
      bound: eq.bind,
      point: (id) => {
        const p = points.get(id);
        if (!p) throw new Error(`pack ${pack.type} asked for unknown point ${id}`);
        return p;
      },
    };
    if (out.problems.length === before) {
      for (const pr of pack.problems?.(input) ?? []) out.problems.push({ path: at(...pr.path), message: pr.message });
    }
    if (out.problems.length !== before) return;
    const expansion = pack.expand(input);
    const disabled = new Set(eq.disable);
    for (const l of expansion.limits) {
      if (disabled.has(l.check)) continue;
      const pointId = l.point ?? (l.indicator !== undefined ? eq.bind[l.indicator] : undefined);
      if (pointId === undefined) throw new Error(`pack ${pack.type}: limits of check ${l.check} name no bound indicator or point`);
      out.limits.push({ point: pointId, limits: l.limits, equipment: eq.id, index, check: l.check, path: l.path ?? ['bind', l.indicator ?? ''] });
    }
    for (const r of expansion.rules) {
      if (disabled.has(r.check)) continue;
      const parsed = ruleSchema.safeParse(r.rule);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        out.problems.push({ path: at('params'), message: `check ${r.check} of ${pack.name}: ${issue.path.join('.')}: ${issue.message}` });
        continue;
      }
      const expectedId = packRuleId(eq.id, r.check);
      if (parsed.data.id !== expectedId && !parsed.data.id.startsWith(`${expectedId}.`)) throw new Error(`pack ${pack.type}: rule ${parsed.data.id} must have id ${expectedId}`);
      out.rules.push({ rule: parsed.data, equipment: eq.id, index, check: r.check });
    }
    for (const f of expansion.findings) if (!disabled.has(f.check)) out.findings.push({ ...f, equipment: eq.id, index });
  });
  return out;
}

/**
 * A point's effective limits: the pack's levels, overridden level by level by the point's own
 * `limits:` (an explicit level, or a level of the point's own preset, replaces the pack's level
 * entirely: value, severity, message and basis). The point's common fields (deadband, onDelay, …)
 * apply to every level that does not set its own.
 */
export function mergeLimits(pack: LimitsConfig, own: LimitsConfig | undefined): LimitsConfig {
  if (!own) return pack;
  const merged: LimitsConfig = { ...pack, ...own };
  const preset = own.preset ? (LIMIT_PRESETS[own.preset] as Partial<Record<(typeof LIMIT_LEVELS)[number], number>>) : undefined;
  for (const lv of LIMIT_LEVELS) {
    if (own[lv] === undefined && preset?.[lv] !== undefined) delete merged[lv];
  }
  return merged;
}

/** The pack levels of several packs on one point, and the levels two packs both set (a config error). */
export function combinePackLimits(list: readonly ExpandedLimits[]): { limits: LimitsConfig; clashes: { level: string; first: ExpandedLimits; second: ExpandedLimits }[] } {
  const limits: LimitsConfig = {};
  const owner = new Map<string, ExpandedLimits>();
  const clashes: { level: string; first: ExpandedLimits; second: ExpandedLimits }[] = [];
  for (const l of list) {
    for (const lv of LIMIT_LEVELS) {
      const v = l.limits[lv];
      if (v === undefined) continue;
      const prev = owner.get(lv);
      if (prev) clashes.push({ level: lv, first: prev, second: l });
      else {
        owner.set(lv, l);
        limits[lv] = v;
      }
    }
  }
  return { limits, clashes };
}

/** Pack limits grouped by point. */
export function limitsByPoint(expansion: Expansion): Map<string, ExpandedLimits[]> {
  const map = new Map<string, ExpandedLimits[]>();
  for (const l of expansion.limits) map.set(l.point, [...(map.get(l.point) ?? []), l]);
  return map;
}

