import type { PublishPolicyConfig } from '../config/publish-schema.js';
import type { BasePoint } from '../core/point.js';

/** A point's MQTT publication policy, resolved once at start (the per-reading check is arithmetic). */
export interface PublishPolicy {
  off: boolean;
  /** Absolute deadband in engineering units; 0 publishes every change. */
  deadband: number;
  /** Republish an unchanged value after this long; 0 never. */
  maxIntervalMs: number;
}

export const PUBLISH_NOTHING: PublishPolicy = { off: true, deadband: 0, maxIntervalMs: 0 };

/**
 * The point's own `publish:` wins, then its device's, then mqtt.publishReadings. A percentage
 * deadband is taken of the point's range; without a range it falls back to every change (the
 * config check reports that case).
 */
export function resolvePublishPolicy(point: Pick<BasePoint, 'range' | 'publish'>, device: PublishPolicyConfig | undefined, global: PublishPolicyConfig, defaultMaxIntervalMs: number): PublishPolicy {
  const cfg = point.publish ?? device ?? global;
  if (cfg === false) return PUBLISH_NOTHING;
  if (cfg === true) return { off: false, deadband: 0, maxIntervalMs: defaultMaxIntervalMs };
  return { off: false, deadband: deadbandOf(cfg.deadband, point.range), maxIntervalMs: cfg.maxInterval ?? defaultMaxIntervalMs };
}

function deadbandOf(db: number | string | undefined, range: { low: number; high: number } | undefined): number {
  if (db === undefined) return 0;
  if (typeof db === 'number') return db;
  if (!range) return 0;
  return (Number.parseFloat(db) / 100) * (range.high - range.low);
}

/** Config problems of a publish policy: a percentage deadband needs the point's range. */
export function publishPolicyProblem(point: Pick<BasePoint, 'range' | 'publish'>, device: PublishPolicyConfig | undefined): string | undefined {
  const cfg = point.publish ?? device;
  if (cfg && typeof cfg === 'object' && typeof cfg.deadband === 'string' && !point.range) return `a percentage publish deadband needs the point's range (range: { low, high })`;
  return undefined;
}
