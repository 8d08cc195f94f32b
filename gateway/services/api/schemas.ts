import { z } from 'zod';
import { ALARM_STATES } from '../../core/alarm-event.js';
import { ACTIONS, ROLES } from '../../auth/permissions.js';
import { EVENT_KINDS } from './journal-query.js';

/** Request and response schemas of the API: the routes parse with them and the OpenAPI document is written from them. */

const alarmIdSchema = z.string().min(1).max(200);
/** ms since epoch, or an ISO 8601 time, in a query string. */
export const timeParam = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((t) => Date.parse(t))]);
const list = <T extends z.ZodType>(item: T) =>
  z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item) as unknown as z.ZodType<z.output<T>[], string[]>);

export const loginBody = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) });

export const userView = z.object({ name: z.string(), role: z.enum(ROLES), areas: z.array(z.string()) });
export const meResponse = z.object({
  user: userView,
  via: z.enum(['session', 'token']),
  csrfToken: z.string().optional(),
  expiresAt: z.number().optional(),
  permissions: z.array(z.enum(ACTIONS)),
  shelveDurationsMs: z.array(z.number()),
  operatorMaxShelveMs: z.number(),
  maxShelveMs: z.number(),
  gatewayId: z.string(),
});

export const alarmListQuery = z.strictObject({
  state: list(z.enum(ALARM_STATES)).optional(),
  severity: list(z.coerce.number().int().min(1).max(4)).optional(),
  area: z.string().max(64).optional(),
  text: z.string().max(200).optional(),
  /** Every configured alarm, not only the standing ones. */
  all: z.enum(['true', 'false']).optional(),
  /** A page of the sorted list: at most `limit` alarms from `offset` (counts are of the whole list). */
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  offset: z.coerce.number().int().min(0).default(0),
});

export const alarmView = z.object({
  alarmId: z.string(),
  point: z.string(),
  pointName: z.string(),
  equipment: z.string().nullable(),
  condition: z.string(),
  severity: z.number(),
  area: z.string(),
  unit: z.string(),
  state: z.enum(ALARM_STATES),
  facts: z.object({ active: z.boolean(), acked: z.boolean(), latched: z.boolean(), shelved: z.boolean(), suppressed: z.boolean(), outOfService: z.boolean() }),
  value: z.union([z.number(), z.boolean(), z.null()]),
  limit: z.number().optional(),
  message: z.string(),
  /** 依据: the standard and clause the alarm enforces, when its definition names one. */
  basis: z.string().optional(),
  ts: z.number(),
  activeSince: z.number().optional(),
  shelvedUntil: z.number().optional(),
  shelvedBy: z.string().optional(),
  assignedTo: z.string().optional(),
  silenced: z.boolean().optional(),
});

export const alarmListResponse = z.object({
  alarms: z.array(alarmView),
  counts: z.object({ bySeverity: z.record(z.string(), z.number()), byArea: z.record(z.string(), z.number()), unacknowledged: z.number(), total: z.number() }),
  lastSeq: z.number(),
});

export const alarmIdParams = z.strictObject({ id: alarmIdSchema });
export const selectionBody = z
  .strictObject({
    alarmIds: z.array(alarmIdSchema).min(1).max(5000).optional(),
    area: z.string().min(1).max(64).optional(),
    comment: z.string().max(1000).optional(),
  })
  .refine((b) => (b.alarmIds === undefined) !== (b.area === undefined), { message: 'give either alarmIds or area', path: ['alarmIds'] });
export const silenceBody = z.strictObject({ alarmIds: z.array(alarmIdSchema).min(1).max(5000).optional(), area: z.string().min(1).max(64).optional() });
export const shelveBody = z.strictObject({ durationMs: z.number().int().positive(), reason: z.string().trim().min(1, '搁置必须填写原因 [a reason is required]').max(1000) });
export const reasonBody = z.strictObject({ reason: z.string().trim().max(1000).optional() });
export const requiredReasonBody = z.strictObject({ reason: z.string().trim().min(1, '必须填写原因 [a reason is required]').max(1000) });
export const commentBody = z.strictObject({ comment: z.string().trim().min(1, '备注不能为空 [comment is empty]').max(2000) });
export const assignBody = z.strictObject({ release: z.boolean().default(false) });
export const actionResponse = z.object({ alarms: z.array(alarmView) });

export const journalQuery = z.strictObject({
  from: timeParam.optional(),
  to: timeParam.optional(),
  alarmId: alarmIdSchema.optional(),
  point: z.string().max(200).optional(),
  user: z.string().max(64).optional(),
  kind: z.enum(EVENT_KINDS).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const journalCsvQuery = journalQuery.omit({ before: true, limit: true });

export const pointsQuery = z.strictObject({
  text: z.string().max(200).optional(),
  area: z.string().max(64).optional(),
  quality: z.enum(['good', 'uncertain', 'bad', 'none']).optional(),
});
export const pointIdParams = z.strictObject({ id: z.string().min(1).max(200) });
export const trendQuery = z
  .strictObject({ from: timeParam.optional(), to: timeParam.optional(), maxPoints: z.coerce.number().int().min(10).max(5000).default(1000) })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] });

export const kpiQuery = z.strictObject({ from: timeParam.optional(), to: timeParam.optional() });
export const auditQuery = z.strictObject({
  from: timeParam.optional(),
  to: timeParam.optional(),
  user: z.string().max(64).optional(),
  alarmId: alarmIdSchema.optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const userNameParams = z.strictObject({ name: z.string().min(1).max(64) });
export const userPatchBody = z.strictObject({
  role: z.enum(ROLES).optional(),
  areas: z.array(z.string().min(1).max(64)).min(1).optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(12).max(1024).optional(),
});
export const tokenBody = z.strictObject({ user: z.string().min(1).max(64), label: z.string().trim().min(1).max(100) });
export const tokenIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex digits') });
