import { z } from 'zod';
import { can, type Action, type Principal } from '../../auth/permissions.js';
import {
  dangerLevelSchema,
  dangerSourceSchema,
  fiveImplementationsSchema,
  hiddenDangerStateSchema,
  manageTypeSchema,
  supervisionSchema,
  type HiddenDangerReport,
  type HiddenDangerState,
} from '../../core/hidden-danger.js';
import { liableRoleSchema } from './config.js';

const time = z.number().int();

/**
 * A hidden-danger record as the enterprise keeps it: the fields of the 双重预防 report
 * (gateway/core/hidden-danger.ts) plus what the closed loop needs locally (area, responsible role,
 * rectification, escalation, closure proposal). Stored as one JSON document per record in hd_record.
 */
export const hiddenDangerRecordSchema = z.strictObject({
  id: z.string().min(1).max(64),
  revision: z.number().int().positive(),
  state: hiddenDangerStateSchema,
  dangerName: z.string().min(1).max(200),
  dangerLevel: dangerLevelSchema,
  dangerSrc: dangerSourceSchema,
  dangerManageType: manageTypeSchema,
  hazardDangerType: z.string().max(100).optional(),
  dangerDesc: z.string().max(4000),
  dangerReason: z.string().max(4000).optional(),
  controlMeasures: z.string().max(4000).optional(),
  cost: z.number().nonnegative().optional(),
  /** Where it is: the plant area (scopes operators) and the equipment / point, when known. */
  area: z.string().min(1).max(100),
  equipment: z.string().max(200).optional(),
  point: z.string().max(200).optional(),
  liablePerson: z.string().max(64).optional(),
  liableRole: liableRoleSchema.optional(),
  dangerManageDeadline: time.optional(),
  registrant: z.string().max(64),
  registTime: time,
  /** When the record entered its current state (escalation delays of a new state count from here). */
  stateSince: time,
  assessedBy: z.string().max(64).optional(),
  assessedAt: time.optional(),
  rectifyStartedBy: z.string().max(64).optional(),
  /** 整改情况: what was done, by whom, when (the rectification record closure proposals need). */
  rectification: z.string().max(4000).optional(),
  rectifiedBy: z.string().max(64).optional(),
  rectifiedAt: time.optional(),
  checkAcceptPerson: z.string().max(64).optional(),
  checkAcceptTime: time.optional(),
  checkAcceptComment: z.string().max(2000).optional(),
  /** The reason of the latest rejected acceptance. */
  rejectReason: z.string().max(2000).optional(),
  rejections: z.number().int().nonnegative().default(0),
  fiveImplementations: fiveImplementationsSchema.optional(),
  supervision: supervisionSchema.optional(),
  alarmIds: z.array(z.string().max(200)).max(50),
  warningId: z.string().max(64).optional(),
  /** The dispatch rule that opened it. */
  dispatchRule: z.string().max(100).optional(),
  /** 建议销号: a rule saw the condition normal long enough after a rectification; a person still accepts. */
  closureProposal: z.strictObject({ at: time, reason: z.string().max(500) }).optional(),
  /** Escalation reached so far (stage index into hiddenDanger.escalation) and to whom. */
  escalation: z.strictObject({ stage: z.number().int().nonnegative(), to: z.array(z.string().max(64)), at: time }).optional(),
  closedAt: time.optional(),
  updatedAt: time,
  updatedBy: z.string().max(64),
});
export type HiddenDangerRecord = z.infer<typeof hiddenDangerRecordSchema>;

/** What people and the gateway do to a record. `register` creates it; the rest move it. */
export const TRANSITIONS = ['register', 'assess', 'start', 'submit', 'accept', 'reject', 'link', 'propose_closure', 'remind', 'escalate', 'photo'] as const;
export type TransitionKind = (typeof TRANSITIONS)[number];

export const TRANSITION_NAMES: Record<TransitionKind, string> = {
  register: '登记',
  assess: '评估',
  start: '开始整改',
  submit: '提交验收',
  accept: '验收销号',
  reject: '验收不通过',
  link: '关联报警',
  propose_closure: '建议销号',
  remind: '到期提醒',
  escalate: '逾期升级',
  photo: '上传照片',
};

/** The state moves of the closed loop: from which state, to which, and who may make them. */
export const STATE_MOVES: Partial<Record<TransitionKind, { from: readonly HiddenDangerState[]; to: HiddenDangerState; action: Action }>> = {
  assess: { from: ['registered'], to: 'assessed', action: 'hazard.assess' },
  start: { from: ['assessed'], to: 'rectifying', action: 'hazard.rectify' },
  submit: { from: ['rectifying'], to: 'awaiting_acceptance', action: 'hazard.rectify' },
  accept: { from: ['awaiting_acceptance'], to: 'closed', action: 'hazard.accept' },
  reject: { from: ['awaiting_acceptance'], to: 'rectifying', action: 'hazard.accept' },
};

/** States in which the rectification deadline runs (reminders, escalation, overdue). */
export const DEADLINE_STATES: ReadonlySet<HiddenDangerState> = new Set(['registered', 'assessed', 'rectifying']);

export function isOverdue(r: HiddenDangerRecord, now: number): boolean {
  return DEADLINE_STATES.has(r.state) && r.dangerManageDeadline !== undefined && now > r.dangerManageDeadline;
}

/**
 * Why `user` may not make the move `kind` on `record` (undefined: allowed). Role and area come from
 * gateway/auth/permissions.ts; the one rule beyond them: the person who submitted the rectification
 * does not accept it (验收与整改分离).
 */
export function moveRefusal(user: Principal, kind: TransitionKind, record: HiddenDangerRecord): string | undefined {
  const move = STATE_MOVES[kind];
  if (!move) return `不是状态变化 [not a state move]: ${kind}`;
  if (!can(user, move.action, record.area)) return `权限不足 [forbidden]: ${user.name} (${user.role}) may not ${move.action} in area "${record.area}"`;
  if ((kind === 'accept' || kind === 'reject') && record.rectifiedBy === user.name) return `整改人不能验收自己的整改 [the rectifier may not accept their own rectification]: ${user.name}`;
  return undefined;
}

/** Who has the next step of a record: the responsible person or role, then the escalation targets. */
export function isMine(user: Principal, r: HiddenDangerRecord): boolean {
  if (r.state === 'closed') return false;
  if (r.escalation?.to.includes(user.name) || r.escalation?.to.includes(user.role)) return true;
  if (r.state === 'registered' || r.state === 'awaiting_acceptance') {
    const action = r.state === 'registered' ? 'hazard.assess' : 'hazard.accept';
    return can(user, action, r.area) && !(r.state === 'awaiting_acceptance' && r.rectifiedBy === user.name);
  }
  if (r.liablePerson !== undefined) return r.liablePerson === user.name;
  return (r.liableRole ?? 'operator') === user.role && can(user, 'hazard.rectify', r.area);
}

/** The record as the 双重预防 report carries it upstream. */
export function toReport(r: HiddenDangerRecord, photos: { before: string[]; after: string[] }, company: { code: string; name?: string | undefined }): HiddenDangerReport {
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    dangerId: r.id,
    revision: r.revision,
    dangerName: r.dangerName,
    dangerLevel: r.dangerLevel,
    dangerSrc: r.dangerSrc,
    dangerManageType: r.dangerManageType,
    ...opt('hazardDangerType', r.hazardDangerType),
    dangerDesc: r.dangerDesc,
    ...opt('dangerReason', r.dangerReason),
    ...opt('controlMeasures', r.controlMeasures),
    ...opt('cost', r.cost),
    ...opt('liablePerson', r.liablePerson),
    ...opt('dangerManageDeadline', r.dangerManageDeadline),
    registrant: r.registrant,
    registTime: r.registTime,
    ...opt('checkAcceptPerson', r.checkAcceptPerson),
    ...opt('checkAcceptTime', r.checkAcceptTime),
    ...opt('checkAcceptComment', r.checkAcceptComment),
    state: r.state,
    photosBefore: photos.before.slice(0, 20),
    photosAfter: photos.after.slice(0, 20),
    companyCode: company.code,
    ...opt('companyName', company.name),
    ...opt('fiveImplementations', r.fiveImplementations),
    ...opt('supervision', r.supervision),
    alarmIds: r.alarmIds.slice(0, 50),
    ...opt('warningId', r.warningId),
    updatedAt: r.updatedAt,
    updatedBy: r.updatedBy,
  };
}
