import { z } from 'zod';
import {
  DANGER_LEVEL_CODES,
  DANGER_SOURCES,
  HIDDEN_DANGER_STATE_NAMES,
  MANAGE_TYPE_CODES,
  dangerStateCode,
  type HiddenDangerReport,
} from '../core/hidden-danger.js';

/**
 * A hidden-danger record in the provincial 双重预防 / 隐患治理 interfaces' own shape: upper-case
 * field names (DANGER_ID, DANGER_NAME, DANGER_LEVEL …), enumerations as their numeric codes, times
 * as "yyyy-MM-dd HH:mm:ss" Beijing time, photo lists comma-separated. The government profiles
 * (mem-http-sm4, steel-rest, framed-tcp) send this; mqtt sends the contract document
 * (gateway/core/hidden-danger.ts) that this product's centre role reads. Mapping table: README.
 */

/** "yyyy-MM-dd HH:mm:ss" in China Standard Time (UTC+8, no daylight saving), as the interfaces carry times. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const datetime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected yyyy-MM-dd HH:mm:ss');
const code = (codes: readonly string[]) => z.enum(codes as [string, ...string[]]);
const opt = z.string().optional();

export const dangerRecordSchema = z.strictObject({
  DANGER_ID: z.string().min(1).max(64),
  REVISION: z.number().int().positive(),
  DANGER_NAME: z.string().min(1).max(200),
  /** 0 一般隐患, 1 重大隐患. */
  DANGER_LEVEL: code(['0', '1']),
  /** 1 日常排查 … 10 其他, 11 监测预警 (this product's default code). */
  DANGER_SRC: code(Object.values(DANGER_SOURCES).map((s) => s.code)),
  DANGER_SRC_NAME: z.string().min(1),
  /** 0 即查即改, 1 限期整改. */
  DANGER_MANAGE_TYPE: code(['0', '1']),
  HAZARD_DANGER_TYPE: opt,
  DANGER_DESC: z.string(),
  DANGER_REASON: opt,
  CONTROL_MEASURES: opt,
  /** Yuan. */
  COST: z.number().nonnegative().optional(),
  LIABLE_PERSON: opt,
  DANGER_MANAGE_DEADLINE: datetime.optional(),
  REGISTRANT: z.string(),
  REGIST_TIME: datetime,
  CHECK_ACCEPT_PERSON: opt,
  CHECK_ACCEPT_TIME: datetime.optional(),
  CHECK_ACCEPT_COMMENT: opt,
  /** 0 整改中 (registered, assessed and in rectification), 1 待验收, 9 已验收. */
  DANGER_STATE: code(['0', '1', '9']),
  /** The enterprise's finer state in words (已登记 / 已评估 / 整改中 / 待验收 / 已验收销号). */
  DANGER_STATE_NAME: z.string().min(1),
  /** Photo file names before / after rectification, comma-separated; the files stay at the enterprise. */
  ATTACHMENTS1: z.string(),
  ATTACHMENTS2: z.string(),
  COMPANY_CODE: z.string().length(18),
  COMPANY_NAME: opt,
  /** 五落实 of a 重大隐患. */
  RECTIFY_RESPONSIBILITY: opt,
  RECTIFY_MEASURES: opt,
  RECTIFY_FUNDS: opt,
  RECTIFY_DEADLINE: datetime.optional(),
  CONTINGENCY_PLAN: opt,
  /** 挂牌督办. */
  SUPERVISE_AUTHORITY: opt,
  SUPERVISE_DEADLINE: datetime.optional(),
  /** Alarm ids that opened it, comma-separated; the platform warning it answers. */
  ALARM_IDS: z.string(),
  WARNING_ID: opt,
  UPDATE_TIME: datetime,
  UPDATE_BY: z.string(),
});
export type DangerRecord = z.infer<typeof dangerRecordSchema>;

/** The interface record of a report (every optional field left out when the report has none). */
export function toDangerRecord(r: HiddenDangerReport): DangerRecord {
  const time = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : beijingTime(ms));
  const record: Record<string, unknown> = {
    DANGER_ID: r.dangerId,
    REVISION: r.revision,
    DANGER_NAME: r.dangerName,
    DANGER_LEVEL: DANGER_LEVEL_CODES[r.dangerLevel],
    DANGER_SRC: DANGER_SOURCES[r.dangerSrc].code,
    DANGER_SRC_NAME: DANGER_SOURCES[r.dangerSrc].name,
    DANGER_MANAGE_TYPE: MANAGE_TYPE_CODES[r.dangerManageType],
    HAZARD_DANGER_TYPE: r.hazardDangerType,
    DANGER_DESC: r.dangerDesc,
    DANGER_REASON: r.dangerReason,
    CONTROL_MEASURES: r.controlMeasures,
    COST: r.cost,
    LIABLE_PERSON: r.liablePerson,
    DANGER_MANAGE_DEADLINE: time(r.dangerManageDeadline),
    REGISTRANT: r.registrant,
    REGIST_TIME: beijingTime(r.registTime),
    CHECK_ACCEPT_PERSON: r.checkAcceptPerson,
    CHECK_ACCEPT_TIME: time(r.checkAcceptTime),
    CHECK_ACCEPT_COMMENT: r.checkAcceptComment,
    DANGER_STATE: dangerStateCode(r.state),
    DANGER_STATE_NAME: HIDDEN_DANGER_STATE_NAMES[r.state],
    ATTACHMENTS1: r.photosBefore.join(','),
    ATTACHMENTS2: r.photosAfter.join(','),
    COMPANY_CODE: r.companyCode,
    COMPANY_NAME: r.companyName,
    RECTIFY_RESPONSIBILITY: r.fiveImplementations?.responsibility,
    RECTIFY_MEASURES: r.fiveImplementations?.measures,
    RECTIFY_FUNDS: r.fiveImplementations?.funds,
    RECTIFY_DEADLINE: time(r.fiveImplementations?.deadline),
    CONTINGENCY_PLAN: r.fiveImplementations?.contingencyPlan,
    SUPERVISE_AUTHORITY: r.supervision?.authority,
    SUPERVISE_DEADLINE: time(r.supervision?.deadline),
    ALARM_IDS: r.alarmIds.join(','),
    WARNING_ID: r.warningId,
    UPDATE_TIME: beijingTime(r.updatedAt),
    UPDATE_BY: r.updatedBy,
  };
  for (const k of Object.keys(record)) if (record[k] === undefined) delete record[k];
  return record as DangerRecord;
}

/**
 * The envelope JSON with its `hiddenDanger` document replaced by the interface record
 * (`dangerRecord`); any other envelope is returned as it is.
 */
export function withDangerRecord(json: string): string {
  if (!json.includes('"hiddenDanger":')) return json;
  const { hiddenDanger, ...rest } = JSON.parse(json) as { hiddenDanger?: HiddenDangerReport } & Record<string, unknown>;
  if (hiddenDanger === undefined) return json;
  return JSON.stringify({ ...rest, dangerRecord: toDangerRecord(hiddenDanger) });
}
