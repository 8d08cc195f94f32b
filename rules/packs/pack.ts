import type { z } from 'zod';
import type { Severity } from '../../gateway/core/alarm-event.js';
import type { DeviceTypeCode } from '../../gateway/core/platform-codes.js';
import type { LimitsConfig } from '../../gateway/config/limits-schema.js';
import type { PointDefinition } from '../../gateway/core/point.js';
import type { ruleSchema } from '../registry.js';

/** One indicator of a piece of equipment, bound in config to a point (`bind: { topPressure: bf1.tp }`). */
export interface IndicatorSpec {
  /** Chinese name, used in error messages and generated alarm texts. */
  readonly name: string;
  /** Unbound optional indicators switch off the checks that need them (default: required). */
  readonly required?: boolean;
  /** Units the point may have (compared after normaliseUnit); omitted: any unit. */
  readonly units?: readonly string[];
}

/** What a pack sees of one `equipment:` entry. */
export interface PackInput<P> {
  id: string;
  /** Chinese name, e.g. 1#高炉; starts every generated message. */
  name: string;
  params: P;
  /** Point id bound to each indicator (only the bound ones). */
  bound: Readonly<Record<string, string>>;
  point(id: string): PointDefinition;
}

/** Limits a pack puts on a bound point; each level an object carrying its basis and message. */
export interface PackLimits {
  check: string;
  /** The bound indicator whose point gets the limits… */
  indicator?: string;
  /** …or a point named in params (then `path` is where, relative to the entry). */
  point?: string;
  path?: (string | number)[];
  limits: LimitsConfig;
}

/** A rule a pack creates; its id is `<equipment id>.<check>` (packRuleId), or that plus `.<n>` for checks made once per point. */
export interface PackRule {
  check: string;
  rule: z.input<typeof ruleSchema>;
}

/**
 * Something wrong with the plant as configured, not with the config: positive-pressure Al/Mg dust
 * collection without spark detection, a detector whose alarms reach no staffed console. Printed by
 * `validate`, `expand` and `coverage` with its basis; not a config error (the plant exists as it is).
 */
export interface PackFinding {
  check: string;
  severity: Severity;
  message: string;
  basis: string;
}

export interface PackExpansion {
  limits: PackLimits[];
  rules: PackRule[];
  findings: PackFinding[];
}

/** A problem in an equipment entry; `path` is relative to the entry (e.g. ['params', 'detectors', 2, 'point']). */
export interface PackProblem {
  path: (string | number)[];
  message: string;
}

/**
 * An equipment pack: a type of equipment, its indicators, its parameters (a strict zod object whose
 * every field has a default or is optional), and the limits, rules and findings it expands into.
 * Packs are pure: no I/O, no clock.
 */
export interface EquipmentPack<P extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** Chinese name of the equipment type, e.g. 高炉. */
  readonly name: string;
  /** The steel platform's equipment type code, where it has one. */
  readonly deviceTypeCode?: DeviceTypeCode;
  readonly indicators: Readonly<Record<string, IndicatorSpec>>;
  readonly params: P;
  /** Every check the pack may create, name → Chinese description; `disable:` names these. */
  readonly checks: Readonly<Record<string, string>>;
  /** Problems only visible with the points at hand (points named in params). */
  problems?(input: PackInput<z.infer<P>>): PackProblem[];
  expand(input: PackInput<z.infer<P>>): PackExpansion;
}

export function packRuleId(equipmentId: string, check: string): string {
  return `${equipmentId}.${check}`;
}

/** Shorthand for packs: a limit level with its severity, message and basis. */
export function level(value: number, severity: Severity, message: string, basis: string, extra: { onDelay?: number; deadband?: number } = {}) {
  return { value, severity, message, basis, ...extra };
}
