import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';

/**
 * `history:` — the local history of readings in gateway.db, for the console's trends when there is
 * no InfluxDB. Each point is downsampled: a reading is kept when its value moved by more than the
 * deadband since the last kept one, its quality changed, or maxInterval has passed; never more than
 * one per minInterval.
 */
export const historySectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How long readings are kept; major hazard sources need at least 30 days. */
  retention: durationSchema.default(30 * 86_400_000).refine((ms) => ms >= 86_400_000, 'history.retention must be at least 1d'),
  /** Deadband as a percentage of the point's range (points without a range: of the last kept value). */
  deadbandPercent: z.number().min(0).max(50).default(0.5),
  /** A reading is kept at least this often even when the value does not move. */
  maxInterval: durationSchema.default(60_000),
  /** At most one reading per point per this interval (a fast poll does not fill the disk). */
  minInterval: durationSchema.default(1000),
  /** Kept readings are written in one transaction this often, off the alarm path. */
  flushInterval: durationSchema.default(1000),
});
export type HistorySection = z.infer<typeof historySectionSchema>;
