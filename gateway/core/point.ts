import type { LimitsConfig } from '../config/limits-schema.js';
import type { PublishPolicyConfig } from '../config/publish-schema.js';

/**
 * Fields every point has, whatever adapter or service publishes it. An adapter's point schema
 * spreads `basePointFields` (gateway/config/point-schema.ts) and adds its own address fields.
 */
export interface BasePoint {
  id: string;
  name: string;
  unit: string;
  equipment?: string | undefined;
  area: string;
  range?: { low: number; high: number } | undefined;
  /** Type-only: the parsed `limits:` block (its schema lives with the config). */
  limits?: LimitsConfig | undefined;
  description?: string | undefined;
  /** MQTT reading publication policy (type-only; gateway/config/publish-schema.ts). */
  publish?: PublishPolicyConfig | undefined;
}

/** A point as the runtime sees it: its config plus the device (or service) that publishes it. */
export type PointDefinition = BasePoint & { device: string };
