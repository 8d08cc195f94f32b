import { z } from 'zod';
import type { Severity } from '../core/alarm-event.js';
import { ALARM_STATE_CODES, THRESHOLD_LEVEL_CODES } from '../core/platform-codes.js';
import { envelopeItemSchema, envelopeSchema, type EnvelopeItem } from './envelope.js';
import { withDangerRecord } from './danger-record.js';

/**
 * How a profile encodes alarms in the platform's codes. Severity 4 重大 → 3 red, 3 较大 → 2 orange,
 * 2 一般 → 1 yellow; severity 1 低 (blue) has no code on the steel platform's front-end, so it goes
 * up as 1 yellow unless the platform's access spec has a blue code (`lowSeverity: blue` with
 * `blueCode`). No alarm: 0 normal.
 */
export const alarmCodesSchema = z
  .strictObject({
    lowSeverity: z.enum(['yellow', 'blue']).default('yellow'),
    /** The platform's code for blue, when it has one (lowSeverity: blue). */
    blueCode: z.number().int().optional(),
  })
  .refine((c) => c.lowSeverity !== 'blue' || c.blueCode !== undefined, { message: 'lowSeverity: blue needs blueCode (the platform\'s code for a blue alarm)', path: ['blueCode'] });
export type AlarmCodesConfig = z.infer<typeof alarmCodesSchema>;
export const DEFAULT_ALARM_CODES: AlarmCodesConfig = { lowSeverity: 'yellow' };

/** −2 LL, −1 L, 1 H, 2 HH; undefined for conditions that are not a threshold (rate of change, STEL …). */
export function thresholdLevelCode(condition: string | undefined): -2 | -1 | 1 | 2 | undefined {
  return condition !== undefined && Object.hasOwn(THRESHOLD_LEVEL_CODES, condition) ? THRESHOLD_LEVEL_CODES[condition as keyof typeof THRESHOLD_LEVEL_CODES] : undefined;
}

/** 0 normal, 1 yellow, 2 orange, 3 red (blue per config) from the gateway's alarm level (0, or severity 1–4). */
export function alarmStateCode(level: 0 | Severity, codes: AlarmCodesConfig): number {
  switch (level) {
    case 0:
      return ALARM_STATE_CODES.normal;
    case 4:
      return ALARM_STATE_CODES.red;
    case 3:
      return ALARM_STATE_CODES.orange;
    case 2:
      return ALARM_STATE_CODES.yellow;
    case 1:
      return codes.lowSeverity === 'blue' ? codes.blueCode! : ALARM_STATE_CODES.yellow;
  }
}

/** An envelope item with the platform's codes added (what the coded profiles send). */
export const codedItemSchema = envelopeItemSchema.extend({
  alarmStateCode: z.number().int(),
  thresholdLevel: z.union([z.literal(-2), z.literal(-1), z.literal(1), z.literal(2)]).optional(),
});
export type CodedItem = z.infer<typeof codedItemSchema>;
/** The envelope of the coded profiles (steel-rest, framed-tcp): items carry the platform's codes. */
export const codedEnvelopeSchema = envelopeSchema.extend({ items: z.array(codedItemSchema) });
export type CodedEnvelope = z.infer<typeof codedEnvelopeSchema>;

export interface ItemEncoding {
  codes: AlarmCodesConfig;
  /** The platform takes acknowledgement and disposal (处置) details: operator and comment stay. */
  disposal: boolean;
}

export function encodeItem(item: EnvelopeItem, enc: ItemEncoding): CodedItem {
  const { operator, comment, ...rest } = item;
  const level = thresholdLevelCode(item.alarmType);
  return {
    ...rest,
    ...(enc.disposal && operator !== undefined ? { operator } : {}),
    ...(enc.disposal && comment !== undefined ? { comment } : {}),
    alarmStateCode: alarmStateCode(item.alarmLevel, enc.codes),
    ...(level !== undefined ? { thresholdLevel: level } : {}),
  };
}

/**
 * The envelope JSON as the coded profiles send it: the same envelope, its items with the
 * platform's codes, a hidden-danger record in the interface's names and codes (danger-record.ts).
 * Parses the items (these profiles are not the bulk path; mqtt is).
 */
export function encodeEnvelopeJson(json: string, enc: ItemEncoding): string {
  json = withDangerRecord(json);
  const e = JSON.parse(json) as { items: EnvelopeItem[] } & Record<string, unknown>;
  if (e.items.length === 0) return json;
  return JSON.stringify({ ...e, items: e.items.map((i) => encodeItem(i, enc)) });
}
