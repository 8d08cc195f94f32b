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

const countSchema = z.number().int().min(0);

/**
 * A centre of the tier below the sender with its totals (a city's county, as the city last heard
 * it): what lets a province drill from a city to its counties.
 */
export const summaryCentreSchema = z.strictObject({
  /** The centre's 统一社会信用代码. */
  code: z.string().length(18),
  name: z.string().min(1).max(200),
  level: z.enum(['county', 'city']),
  /** 行政区划代码 (GB/T 2260). */
  regionCode: z.string().regex(/^\d{6}$/),
  /** Its gateway's envelopes reach the sender (heartbeats within the sender's offlineAfter). */
  linkOnline: z.boolean(),
  /** Its latest summary is older than the sender's staleAfter, or none came: not in the sender's totals. */
  stale: z.boolean(),
  /** When its latest summary was computed (ms); null when none came yet. The counts below are from it (0 without one). */
  at: z.number().int().nullable(),
  enterprises: countSchema,
  obliged: countSchema,
  connected: countSchema,
  online: countSchema,
  connectionRate: rateSchema,
  onlineRate: rateSchema,
  pointOnlineRate: rateSchema,
  alarmsToday: levelCountsSchema,
  hiddenDangersOpen: countSchema,
  hiddenDangersOverdue: countSchema,
});
export type SummaryCentre = z.infer<typeof summaryCentreSchema>;

/** A centre anywhere below the sender whose figures are not in its totals, because its summary is stale or never came. */
export const staleCentreSchema = z.strictObject({
  code: z.string().length(18),
  name: z.string().min(1).max(200),
  lastSummaryAt: z.number().int().nullable(),
});
export type StaleCentre = z.infer<typeof staleCentreSchema>;

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
  // Version 2 (tiers): optional, so a summary of an older centre still parses. With centres below the
  // sender, the counts above are its totals: its own enterprises plus the live summaries below.
  /** Points known and points with fresh Good data behind pointOnlineRate (the tier above weights by them). */
  points: countSchema.optional(),
  freshPoints: countSchema.optional(),
  /** Distinct alarm occurrences active this week (CST, from Monday) by level. */
  alarmsThisWeek: levelCountsSchema.optional(),
  /** Enterprises by grade A–D. */
  byGrade: z.strictObject({ A: countSchema, B: countSchema, C: countSchema, D: countSchema }).optional(),
  /** The centres directly below the sender, with their totals. */
  perCentre: z.array(summaryCentreSchema).max(5_000).optional(),
  /** Centres anywhere below whose figures are left out of the totals, and the enterprises they last reported. */
  stale: z.strictObject({ centres: z.array(staleCentreSchema).max(20_000), enterprises: countSchema }).optional(),
});
export type CentreSummary = z.infer<typeof centreSummarySchema>;
