import { z } from 'zod';

/** The centre's A (red) / B (orange) / C (yellow) / D (blue) grade of an enterprise. */
const gradeSchema = z.enum(['A', 'B', 'C', 'D']);

/** Counts by alarm level 1 (blue) … 4 (red). */
const levelCountsSchema = z.strictObject({ 1: z.number().int().min(0), 2: z.number().int().min(0), 3: z.number().int().min(0), 4: z.number().int().min(0) });
const rateSchema = z.number().min(0).max(1).nullable();

/** One enterprise of the centre sending the summary, as the tier above sees it. */
export const summaryEnterpriseSchema = z.strictObject({
  /** 统一社会信用代码. */
  code: z.string().length(18),
  name: z.string().min(1).max(200),
  grade: gradeSchema,
  online: z.boolean(),
  /** Source time of its newest value, ms since epoch; null when no data yet. */
  lastDataTime: z.number().int().nullable(),
  activeAlarms: levelCountsSchema,
  hiddenDangersOpen: z.number().int().min(0),
  hiddenDangersOverdue: z.number().int().min(0),
});
export type SummaryEnterprise = z.infer<typeof summaryEnterpriseSchema>;

/**
 * A centre's summary for the tier above (envelope type `summary`): its figures as of `at` and its
 * enterprises' live status. The formulas are the centre's (gateway/services/centre/README.md).
 */
export const centreSummarySchema = z.strictObject({
  /** When the figures were computed, ms since epoch. */
  at: z.number().int(),
  /** The sending centre: 发布单位 and its own credit code (the envelope's enterpriseCode). */
  issuer: z.string().min(1).max(100),
  enterprises: z.number().int().min(0),
  obliged: z.number().int().min(0),
  connected: z.number().int().min(0),
  online: z.number().int().min(0),
  connectionRate: rateSchema,
  onlineRate: rateSchema,
  pointOnlineRate: rateSchema,
  alarmsToday: levelCountsSchema,
  hiddenDangersOpen: z.number().int().min(0),
  hiddenDangersOverdue: z.number().int().min(0),
  warnings: z.strictObject({ pending: z.number().int().min(0), answered: z.number().int().min(0), overdue: z.number().int().min(0) }),
  perEnterprise: z.array(summaryEnterpriseSchema).max(20_000),
});
export type CentreSummary = z.infer<typeof centreSummarySchema>;
