import { z } from 'zod';
import type { Observable } from 'rxjs';
import type { PlatformWarning, WarningFeedback } from './platform-warning.js';

/**
 * Hidden-danger records (隐患) as they go to the tier above: the contract between the enterprise's
 * hidden-danger service (which owns the records), the uplink (which carries them) and the centre
 * role (which counts open and overdue ones). Field names follow the provincial 双重预防 / 隐患治理
 * interfaces (YHZLXX-style tables: DANGER_NAME, DANGER_LEVEL, DANGER_SRC …, in camelCase here;
 * ../shared/DOMAIN.md "Hidden-danger records"). They are conventions seen in public
 * implementations, not a national standard: the numeric codes below are defaults a profile may map.
 */

/** Life of a record at the enterprise (排查→登记→评估→整改→验收→销号). */
export const HIDDEN_DANGER_STATES = ['registered', 'assessed', 'rectifying', 'awaiting_acceptance', 'closed'] as const;
export const hiddenDangerStateSchema = z.enum(HIDDEN_DANGER_STATES);
export type HiddenDangerState = z.infer<typeof hiddenDangerStateSchema>;

export const HIDDEN_DANGER_STATE_NAMES: Record<HiddenDangerState, string> = {
  registered: '已登记',
  assessed: '已评估',
  rectifying: '整改中',
  awaiting_acceptance: '待验收',
  closed: '已验收销号',
};

/** DANGER_STATE on the interfaces: 0 整改中, 1 待验收, 9 已验收. */
export function dangerStateCode(state: HiddenDangerState): '0' | '1' | '9' {
  if (state === 'closed') return '9';
  if (state === 'awaiting_acceptance') return '1';
  return '0';
}

/** DANGER_LEVEL: 0 一般隐患, 1 重大隐患. */
export const dangerLevelSchema = z.enum(['general', 'major']);
export type DangerLevel = z.infer<typeof dangerLevelSchema>;
export const DANGER_LEVEL_CODES: Record<DangerLevel, '0' | '1'> = { general: '0', major: '1' };
export const DANGER_LEVEL_NAMES: Record<DangerLevel, string> = { general: '一般隐患', major: '重大隐患' };

/**
 * DANGER_SRC. Codes 1–10 as the interfaces carry them; `monitoring` (监测预警: opened by an alarm or
 * a warning from above) has no code in what was found public, so '11' is this product's default and
 * a profile may map it.
 */
export const DANGER_SOURCES = {
  daily: { code: '1', name: '日常排查' },
  comprehensive: { code: '2', name: '综合性排查' },
  specialist: { code: '3', name: '专业性排查' },
  seasonal: { code: '4', name: '季节性排查' },
  holiday: { code: '5', name: '重点时段及节假日前排查' },
  accident_analogy: { code: '6', name: '事故类比排查' },
  resumption: { code: '7', name: '复产复工前排查' },
  expert: { code: '8', name: '外聘专家诊断式排查' },
  measure_failure: { code: '9', name: '管控措施失效' },
  other: { code: '10', name: '其他' },
  monitoring: { code: '11', name: '监测预警' },
} as const;
export type DangerSource = keyof typeof DANGER_SOURCES;
export const dangerSourceSchema = z.enum(Object.keys(DANGER_SOURCES) as [DangerSource, ...DangerSource[]]);

/** DANGER_MANAGE_TYPE: 0 即查即改, 1 限期整改. */
export const manageTypeSchema = z.enum(['immediate', 'deadline']);
export type ManageType = z.infer<typeof manageTypeSchema>;
export const MANAGE_TYPE_CODES: Record<ManageType, '0' | '1'> = { immediate: '0', deadline: '1' };
export const MANAGE_TYPE_NAMES: Record<ManageType, string> = { immediate: '即查即改', deadline: '限期整改' };

const text = (max: number) => z.string().max(max);
const time = z.number().int(); // ms since epoch

/** 五落实 of a 重大隐患: responsibility, measures, funds, deadline, contingency plan. */
export const fiveImplementationsSchema = z.strictObject({
  responsibility: text(200),
  measures: text(2000),
  funds: text(200),
  deadline: time,
  contingencyPlan: text(2000),
});

/** 挂牌督办: the authority that supervises a 重大隐患 and its own deadline. */
export const supervisionSchema = z.strictObject({ authority: text(200), deadline: time });

/** The record as it goes upstream (one document per state change; the latest wins at the receiver). */
export const hiddenDangerReportSchema = z.strictObject({
  /** DANGER_ID: unique at the enterprise, stable for the life of the record. */
  dangerId: z.string().min(1).max(64),
  /** Increases with every change of the record, so a receiver keeps the latest. */
  revision: z.number().int().positive(),
  dangerName: z.string().min(1).max(200),
  dangerLevel: dangerLevelSchema,
  dangerSrc: dangerSourceSchema,
  dangerManageType: manageTypeSchema,
  /** HAZARD_DANGER_TYPE: the professional category, free text or a platform code. */
  hazardDangerType: text(100).optional(),
  dangerDesc: text(4000),
  dangerReason: text(4000).optional(),
  controlMeasures: text(4000).optional(),
  /** COST: rectification funds, in yuan. */
  cost: z.number().nonnegative().optional(),
  liablePerson: text(64).optional(),
  dangerManageDeadline: time.optional(),
  registrant: text(64),
  registTime: time,
  checkAcceptPerson: text(64).optional(),
  checkAcceptTime: time.optional(),
  checkAcceptComment: text(2000).optional(),
  state: hiddenDangerStateSchema,
  /** Photo file names (before: ATTACHMENTS1, after: ATTACHMENTS2); the files stay at the enterprise. */
  photosBefore: z.array(text(200)).max(20),
  photosAfter: z.array(text(200)).max(20),
  /** COMPANY_CODE: 统一社会信用代码. */
  companyCode: z.string().length(18),
  companyName: text(200).optional(),
  fiveImplementations: fiveImplementationsSchema.optional(),
  supervision: supervisionSchema.optional(),
  /** Links: the alarms that opened it, the warning from above it answers. */
  alarmIds: z.array(text(200)).max(50),
  warningId: text(64).optional(),
  updatedAt: time,
  updatedBy: text(64),
});
export type HiddenDangerReport = z.infer<typeof hiddenDangerReportSchema>;

/**
 * What the hidden-danger service needs from the link to the tier above. The uplink service
 * implements it (one per target when there are several); the hidden-danger service finds it with
 * `ctx.service('uplink')` and works without it.
 */
export interface WarningChannel {
  /** Warnings received from above: schema-checked and deduplicated by warningId. */
  readonly warnings$: Observable<PlatformWarning>;
  /**
   * Queues feedback on a warning (store-and-forward, never dropped): committed to disk when it
   * returns; throws when it could not be, so the caller does not mark it sent.
   */
  sendFeedback(feedback: WarningFeedback): void;
  /** Queues the record's latest state (never dropped): committed when it returns, throws otherwise. */
  sendHiddenDanger(report: HiddenDangerReport): void;
}
