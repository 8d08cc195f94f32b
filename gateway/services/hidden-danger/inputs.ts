import { z } from 'zod';
import { dangerLevelSchema, dangerSourceSchema, fiveImplementationsSchema, hiddenDangerStateSchema, manageTypeSchema, supervisionSchema } from '../../core/hidden-danger.js';
import { liableRoleSchema } from './config.js';

/** What people send to move a record: one schema per step, shared by the API and the loop. */

const line = (max: number) => z.string().trim().min(1).max(max);
const time = z.number().int().positive();

/** 登记: by hand (排查 on a walk-round). Records from alarms and warnings have source 监测预警. */
export const registerInput = z.strictObject({
  dangerName: line(200),
  dangerDesc: line(4000),
  area: line(100),
  equipment: z.string().trim().max(200).optional(),
  point: z.string().trim().max(200).optional(),
  dangerLevel: dangerLevelSchema.default('general'),
  dangerSrc: dangerSourceSchema.exclude(['monitoring']).default('daily'),
  dangerManageType: manageTypeSchema.default('deadline'),
  hazardDangerType: z.string().trim().max(100).optional(),
  dangerReason: z.string().trim().max(4000).optional(),
  /** Alarms the finder links (each may have one open record). */
  alarmIds: z.array(z.string().min(1).max(200)).max(50).default([]),
});
export type RegisterInput = z.infer<typeof registerInput>;

/** 评估: level, manage type, measures, who, by when; a 重大隐患 needs its 五落实. */
export const assessInput = z
  .strictObject({
    dangerLevel: dangerLevelSchema,
    dangerManageType: manageTypeSchema,
    controlMeasures: line(4000),
    dangerReason: z.string().trim().max(4000).optional(),
    hazardDangerType: z.string().trim().max(100).optional(),
    cost: z.number().nonnegative().optional(),
    liablePerson: z.string().trim().min(1).max(64).optional(),
    liableRole: liableRoleSchema.optional(),
    /** ms since epoch; default: registration time plus hiddenDanger.deadlines of the level. */
    deadline: time.optional(),
    fiveImplementations: fiveImplementationsSchema.optional(),
    supervision: supervisionSchema.optional(),
    comment: z.string().trim().max(2000).optional(),
  })
  .refine((a) => a.dangerLevel !== 'major' || a.fiveImplementations !== undefined, { message: '重大隐患须填写五落实 (fiveImplementations is required for a major hidden danger)', path: ['fiveImplementations'] });
export type AssessInput = z.infer<typeof assessInput>;

export const startInput = z.strictObject({ comment: z.string().trim().max(2000).optional() });
export const submitInput = z.strictObject({ rectification: line(4000), cost: z.number().nonnegative().optional() });
export const acceptInput = z.strictObject({ comment: line(2000) });
export const rejectInput = z.strictObject({ reason: line(2000) });

export const MOVE_INPUTS = { assess: assessInput, start: startInput, submit: submitInput, accept: acceptInput, reject: rejectInput } as const;
export type MoveKind = keyof typeof MOVE_INPUTS;
export type MoveInput<K extends MoveKind> = z.infer<(typeof MOVE_INPUTS)[K]>;

export const listQuery = z.strictObject({
  state: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(hiddenDangerStateSchema))
    .optional(),
  level: dangerLevelSchema.optional(),
  area: z.string().max(100).optional(),
  /** true: only overdue; open records by default, all with all=true. */
  overdue: z.enum(['true', 'false']).optional(),
  mine: z.enum(['true', 'false']).optional(),
  /** Records linked to this alarm (open and closed). */
  alarmId: z.string().min(1).max(200).optional(),
  all: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
