import { z } from 'zod';

/** ISA-18.2 alarm states (DESIGN.md). */
export const ALARM_STATES = [
  'NORMAL',
  'UNACK',
  'ACKED',
  'RTN_UNACK',
  'LATCHED_UNACK',
  'LATCHED_ACKED',
  'SHELVED',
  'SUPPRESSED',
  'OUT_OF_SERVICE',
] as const;
export const alarmStateSchema = z.enum(ALARM_STATES);
export type AlarmState = z.infer<typeof alarmStateSchema>;

/** 4 red 重大, 3 orange 较大, 2 yellow 一般, 1 blue 低. */
export const severitySchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type Severity = z.infer<typeof severitySchema>;

export const SEVERITY_INFO: Record<Severity, { zh: string; colour: string; en: string }> = {
  4: { zh: '重大', colour: 'red', en: 'critical' },
  3: { zh: '较大', colour: 'orange', en: 'high' },
  2: { zh: '一般', colour: 'yellow', en: 'medium' },
  1: { zh: '低', colour: 'blue', en: 'low' },
};

/** One row of the alarm journal and one MQTT message on gw/<id>/events. */
export const alarmEventSchema = z.strictObject({
  seq: z.number().int().nonnegative(),
  alarmId: z.string(),
  point: z.string(),
  condition: z.string(),
  severity: severitySchema,
  state: alarmStateSchema,
  /** Whether the process condition is present now (independent of ack / shelve state). */
  active: z.boolean(),
  value: z.union([z.number(), z.boolean(), z.null()]),
  limit: z.number().optional(),
  unit: z.string().optional(),
  message: z.string(),
  ts: z.number(),
  user: z.string().optional(),
  comment: z.string().optional(),
  /** The activation that began a burst of alarms in its area: where to look for the cause. */
  firstOut: z.boolean().optional(),
  /** The area was in an alarm flood (more than the flood threshold within the flood window). */
  flood: z.boolean().optional(),
  /**
   * The standard and clause the alarm enforces (its definition's basis), e.g.
   * 《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(五).
   */
  basis: z.string().optional(),
});
export type AlarmEvent = z.infer<typeof alarmEventSchema>;

/** States in which an alarm shows on the operator's active-alarm list. */
export function isAnnunciated(state: AlarmState): boolean {
  return state === 'UNACK' || state === 'ACKED' || state === 'RTN_UNACK' || state === 'LATCHED_UNACK' || state === 'LATCHED_ACKED';
}
