import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import { severitySchema, type Severity } from '../core/alarm-event.js';
import { LIMIT_PRESET_NAMES } from '../../rules/presets.js';

export const LIMIT_LEVELS = ['HH', 'H', 'L', 'LL'] as const;
export type LimitLevel = (typeof LIMIT_LEVELS)[number];

export const DEFAULT_SEVERITY: Record<LimitLevel, Severity> = { HH: 3, H: 2, L: 2, LL: 3 };

/** Absolute deadband in engineering units, or "N%" of the point's range span. */
export const deadbandSchema = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?%$/, 'expected an absolute deadband (number) or a percentage of span such as "1%"'),
]);

const limitDetailSchema = z.strictObject({
  value: z.number(),
  severity: severitySchema.optional(),
  deadband: deadbandSchema.optional(),
  onDelay: durationSchema.optional(),
  offDelay: durationSchema.optional(),
  /** Annunciate again when still active this long after acknowledgement (default: alarms.reAlarm). */
  reAlarm: durationSchema.optional(),
  /** Chinese text shown instead of the generated one. */
  message: z.string().optional(),
  /** The standard and clause this limit enforces (default: the limits' basis, else the preset's). */
  basis: z.string().min(1).optional(),
});

/** `H: 24` or `H: { value: 24, severity: 2, onDelay: 5s }`. */
export const limitSchema = z.union([z.number(), limitDetailSchema]);

export const limitsSchema = z.strictObject({
  /** Start from limits of a Chinese standard (rules/presets.ts); keys given here override it. */
  preset: z.enum(LIMIT_PRESET_NAMES).optional(),
  deadband: deadbandSchema.optional(),
  onDelay: durationSchema.optional(),
  offDelay: durationSchema.optional(),
  reAlarm: durationSchema.optional(),
  /** The standard and clause these limits enforce, e.g. GB/T 50493-2019 (default: the preset's). */
  basis: z.string().min(1).optional(),
  HH: limitSchema.optional(),
  H: limitSchema.optional(),
  L: limitSchema.optional(),
  LL: limitSchema.optional(),
});
export type LimitsConfig = z.infer<typeof limitsSchema>;
