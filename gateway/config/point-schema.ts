import { z } from 'zod';
import { limitsSchema } from './limits-schema.js';
import { publishPolicySchema } from './publish-schema.js';

/** Point ids appear in MQTT topics and InfluxDB tags: keep them to a safe alphabet. */
export const pointIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'point id may contain letters, digits, "_", "." and "-" only (it is used in MQTT topics)');

export const rangeSchema = z
  .strictObject({ low: z.number(), high: z.number() })
  .refine((r) => r.high > r.low, { message: 'range.high must be greater than range.low' });

/**
 * Fields every point has, whatever adapter reads it. An adapter's point schema spreads these and
 * adds its own address fields.
 */
export const basePointFields = {
  id: pointIdSchema,
  /** Chinese name shown to operators, e.g. 加压机房一氧化碳. */
  name: z.string().min(1),
  unit: z.string().default(''),
  /** Equipment the point belongs to (设备), e.g. 1#高炉; used in alarm messages. */
  equipment: z.string().optional(),
  /** Plant area / console the point's alarms belong to; "acknowledge all of an area" uses it. */
  area: z.string().default('default'),
  /** Instrument measuring range in engineering units. */
  range: rangeSchema.optional(),
  limits: limitsSchema.optional(),
  description: z.string().optional(),
  /** MQTT reading publication: false, true (on change) or { deadband, maxInterval }; see publish-schema.ts. */
  publish: publishPolicySchema.optional(),
};

/** What every adapter's point schema must parse to (the contract lives in gateway/core). */
export type { BasePoint, PointDefinition } from '../core/point.js';
