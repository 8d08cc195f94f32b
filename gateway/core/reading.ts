import { z } from 'zod';
import { qualityCodeSchema } from './quality.js';

/** One value of one point, as DESIGN.md defines it. Also the JSON body of gw/<id>/readings/<point>. */
export const readingSchema = z.strictObject({
  point: z.string().min(1),
  value: z.union([z.number(), z.boolean(), z.null()]),
  quality: qualityCodeSchema,
  /** Source timestamp (ms since epoch) when the device gives one, else receive time. */
  ts: z.number().finite(),
  /** Gateway receive time, ms since epoch. */
  receivedAt: z.number().finite(),
  /** Why the quality is not Good (exception code, timeout, …); for operators and logs. */
  reason: z.string().optional(),
  /** Evidence that comes with an event reading, e.g. the snapshot URL of an AI video detection. */
  evidence: z.string().max(2048).optional(),
});

export type Reading = z.infer<typeof readingSchema>;
export type ReadingValue = Reading['value'];
