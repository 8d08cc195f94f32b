import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import { dangerLevelSchema, manageTypeSchema } from '../../core/hidden-danger.js';

const DAY = 86_400_000;

/** Roles a record may name as responsible (human roles that can rectify or supervise). */
export const liableRoleSchema = z.enum(['operator', 'supervisor', 'engineer', 'admin']);
export type LiableRole = z.infer<typeof liableRoleSchema>;

/** Which alarms a dispatch rule looks at. Every given field must match; an absent field matches all. */
export const dispatchMatchSchema = z.strictObject({
  /** Alarm ids, `*` matching any run of characters (e.g. "booster.*:HH"). */
  alarmId: z.array(z.string().min(1)).min(1).optional(),
  /** Alarm conditions: HH, H, L, LL, BYPASS, BAD_QUALITY, STEL … */
  condition: z.array(z.string().min(1)).min(1).optional(),
  /** Lowest severity that matches (4 red … 1 blue). */
  minSeverity: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
  area: z.array(z.string().min(1)).min(1).optional(),
  equipment: z.array(z.string().min(1)).min(1).optional(),
});
export type DispatchMatch = z.infer<typeof dispatchMatchSchema>;

/**
 * When a matching alarm opens a record: `active` (the condition stayed present for `for`; 0 = at
 * once), `chattering` (`count` activations within `within`), `shelved` (shelved `count` times within
 * `within`, e.g. 3 times a week).
 */
export const dispatchTriggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('active'), for: durationSchema.default(0) }),
  z.strictObject({ kind: z.literal('chattering'), count: z.number().int().min(2).default(3), within: durationSchema.default(60_000) }),
  z.strictObject({ kind: z.literal('shelved'), count: z.number().int().min(1).default(3), within: durationSchema.default(7 * DAY) }),
]);
export type DispatchTrigger = z.infer<typeof dispatchTriggerSchema>;

export const dispatchRuleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'rule ids may contain letters, digits, "_", "." and "-" only'),
  /** 隐患名称; default: the alarm's message. `{alarm}` and `{point}` are replaced. */
  name: z.string().min(1).max(200).optional(),
  match: dispatchMatchSchema.default({}),
  when: dispatchTriggerSchema.default({ kind: 'active', for: 0 }),
  /** 隐患等级; `bySeverity`: red (4) alarms open 重大隐患, the rest 一般隐患. */
  level: z.union([dangerLevelSchema, z.literal('bySeverity')]).default('bySeverity'),
  manageType: manageTypeSchema.default('deadline'),
  /** 隐患类型 (professional category). */
  hazardType: z.string().max(100).optional(),
  /** Overrides the responsible person / role of `responsible`. */
  liablePerson: z.string().max(64).optional(),
  liableRole: liableRoleSchema.optional(),
  /**
   * Propose closure (建议销号) once every linked alarm has stayed normal this long and a
   * rectification exists. A person still accepts: clearing never closes a record.
   */
  proposeClosureAfter: durationSchema.optional(),
});
export type DispatchRule = z.infer<typeof dispatchRuleSchema>;

/** Who is responsible by area or equipment: the first entry that matches wins. */
export const responsibleSchema = z
  .strictObject({
    area: z.string().min(1).optional(),
    equipment: z.string().min(1).optional(),
    person: z.string().min(1).max(64).optional(),
    role: liableRoleSchema.optional(),
  })
  .refine((r) => r.person !== undefined || r.role !== undefined, 'give a person or a role');

/** One stage of the escalation chain: `after` the deadline, to a role or to the enterprise's safety head. */
export const escalationStageSchema = z.strictObject({
  after: durationSchema,
  to: z.enum(['supervisor', 'engineer', 'admin', 'safetyHead']),
});
export type EscalationStage = z.infer<typeof escalationStageSchema>;

/**
 * `hiddenDanger:` — the hidden-danger closed loop (隐患闭环): records, dispatch rules, deadlines,
 * reminders, escalation and photos. See gateway/services/hidden-danger/README.md.
 */
export const hiddenDangerSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Deadline from registration, by level; 即查即改 records get `immediate`. */
  deadlines: z
    .strictObject({
      general: durationSchema.default(7 * DAY),
      major: durationSchema.default(30 * DAY),
      immediate: durationSchema.default(DAY),
    })
    .default({ general: 7 * DAY, major: 30 * DAY, immediate: DAY }),
  responsible: z.array(responsibleSchema).default([]),
  /** When nothing in `responsible` matches. */
  defaultLiableRole: liableRoleSchema.default('operator'),
  /** Area of records opened by warnings from above (operators of other areas do not see them as theirs). */
  warningArea: z.string().min(1).max(100).default('全厂'),
  /** The enterprise's safety head (企业安全负责人): a user name, the last stage of escalation. */
  safetyHead: z.string().min(1).max(64).optional(),
  /** Reminders this long before the deadline. */
  reminders: z.array(durationSchema).default([DAY]),
  escalation: z.array(escalationStageSchema).default([
    { after: 0, to: 'supervisor' },
    { after: DAY, to: 'safetyHead' },
  ]),
  /** How often deadlines are checked. */
  checkInterval: durationSchema.default(60_000).refine((ms) => ms >= 1000, 'hiddenDanger.checkInterval must be at least 1s'),
  photos: z
    .strictObject({
      /** Largest photo accepted, bytes. */
      maxBytes: z.number().int().min(1024).max(50 * 1024 * 1024).default(8 * 1024 * 1024),
      maxPerRecord: z.number().int().min(1).max(20).default(20),
    })
    .default({ maxBytes: 8 * 1024 * 1024, maxPerRecord: 20 }),
  rules: z.array(dispatchRuleSchema).default([]),
});
export type HiddenDangerSection = z.infer<typeof hiddenDangerSectionSchema>;

/** `*` globs of alarm ids as regular expressions. */
export function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
