import { z } from 'zod';
import { qualityCodeSchema } from '../core/quality.js';
import { alarmStateSchema } from '../core/alarm-event.js';
import { hiddenDangerReportSchema } from '../core/hidden-danger.js';
import { warningFeedbackSchema } from '../core/platform-warning.js';
import { dangerRecordSchema } from './danger-record.js';
import { centreSummarySchema } from './summary.js';

/**
 * The uplink envelope: what the gateway sends to the provincial platform, whatever the transport.
 * Documented in gateway/uplink/README.md; the platform simulator validates against this schema.
 */
export const ENVELOPE_TYPES = ['realtime', 'alarm', 'heartbeat', 'basedata', 'hidden_danger', 'warning_feedback', 'summary'] as const;
export const envelopeTypeSchema = z.enum(ENVELOPE_TYPES);
export type EnvelopeType = z.infer<typeof envelopeTypeSchema>;

/**
 * Types whose body is one document instead of items: the queue keeps the document where other
 * messages keep their items, and the envelope carries it under this field (with `items: []`).
 */
export const DOCUMENT_FIELDS = { basedata: 'baseData', hidden_danger: 'hiddenDanger', warning_feedback: 'warningFeedback', summary: 'summary' } as const satisfies Partial<Record<EnvelopeType, string>>;
type DocumentType = keyof typeof DOCUMENT_FIELDS;
const isDocumentType = (t: EnvelopeType): t is DocumentType => Object.hasOwn(DOCUMENT_FIELDS, t);

/**
 * Types that are records of what happened, as alarms are: never thinned, never dropped by age, and
 * a live one waiting behind a backlog speeds the replay up.
 */
export const RECORD_TYPES: readonly EnvelopeType[] = ['alarm', 'hidden_danger', 'warning_feedback'];

export const envelopeItemSchema = z.strictObject({
  /** The platform's point code (测点编码), from the uplink point mapping. */
  pointCode: z.string().min(1),
  value: z.union([z.number(), z.boolean(), z.null()]),
  unit: z.string(),
  quality: qualityCodeSchema,
  /** Source time of the value, ms since epoch. */
  time: z.number().int(),
  /** 0 none, 1 blue 低, 2 yellow 一般, 3 orange 较大, 4 red 重大: highest active alarm of the point. */
  alarmLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  /** Alarm messages only: the condition (HH, H, L, LL, …), whether it is active, and the text. */
  alarmType: z.string().optional(),
  alarmActive: z.boolean().optional(),
  alarmMessage: z.string().optional(),
  limit: z.number().optional(),
  /**
   * Alarm messages only: the identity of one occurrence of the alarm (from its activation to its
   * clearing, 消警), the same on its start, acknowledgement and end messages so the platform pairs them.
   */
  alarmKey: z.string().min(1).optional(),
  /** Alarm messages only: when this occurrence began, ms since epoch. */
  alarmStart: z.number().int().optional(),
  /** Alarm messages only: ISA-18.2 state after the event (UNACK, ACKED, RTN_UNACK, NORMAL, …). */
  alarmState: alarmStateSchema.optional(),
  /** Acknowledgement / disposal (处置): who acted and what they wrote (alarmEvents: all). */
  operator: z.string().optional(),
  comment: z.string().optional(),
  /** Alarm messages only: the standard and clause the alarm enforces (依据), when it has one. */
  alarmBasis: z.string().optional(),
});
export type EnvelopeItem = z.infer<typeof envelopeItemSchema>;

/** A limit as registered: LL / L / H / HH values in the point's unit. */
const registeredLimitsSchema = z.strictObject({ LL: z.number().optional(), L: z.number().optional(), H: z.number().optional(), HH: z.number().optional() });

/**
 * Base data (基础数据): what the enterprise monitors, built from the config. Sent in a `basedata`
 * envelope before any realtime data of its points.
 */
export const baseDataSchema = z.strictObject({
  /** sha256 of the document without this field: the same configuration gives the same fingerprint. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  enterprise: z.strictObject({ code: z.string().length(18), name: z.string().min(1) }),
  gateway: z.strictObject({ code: z.string().min(1), name: z.string().optional() }),
  equipment: z.array(z.strictObject({ code: z.string().min(1), name: z.string().min(1), type: z.string().min(1), typeName: z.string().min(1) })),
  targets: z.array(
    z.strictObject({
      code: z.string().min(1),
      name: z.string().min(1),
      unit: z.string(),
      equipmentCode: z.string().optional(),
      tag: z.string().optional(),
      locationType: z.string().optional(),
      locationTypeName: z.string().optional(),
      range: z.strictObject({ low: z.number(), high: z.number() }).optional(),
      limits: registeredLimitsSchema,
    }),
  ),
});
export type BaseData = z.infer<typeof baseDataSchema>;

export const envelopeSchema = z.strictObject({
  /** UUID, fixed when the message is queued: the same on every resend, so receivers dedup on it. */
  dataId: z.uuid(),
  /** Gateway-wide, strictly increasing in queue order, survives restarts. Gaps mean thinned snapshots. */
  seq: z.number().int().positive(),
  type: envelopeTypeSchema,
  /** 统一社会信用代码. */
  enterpriseCode: z.string().length(18),
  gatewayCode: z.string().min(1),
  /** When the message was created (queued), ms since epoch. */
  timestamp: z.number().int(),
  /** True when the message is sent from the backlog after an outage or a restart (补传). */
  historical: z.boolean(),
  /** Empty for basedata. */
  items: z.array(envelopeItemSchema),
  /** basedata messages only. */
  baseData: baseDataSchema.optional(),
  /** hidden_danger messages of the mqtt profile: the record as the contract has it (gateway/core/hidden-danger.ts). */
  hiddenDanger: hiddenDangerReportSchema.optional(),
  /** hidden_danger messages of the government profiles: the record in the interface's names and codes (danger-record.ts). */
  dangerRecord: dangerRecordSchema.optional(),
  /** warning_feedback messages: the enterprise's feedback on a platform warning (gateway/core/platform-warning.ts). */
  warningFeedback: warningFeedbackSchema.optional(),
  /** summary messages (a centre to the tier above): its figures and its enterprises (summary.ts). */
  summary: centreSummarySchema.optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export type EnvelopeHeader = Omit<Envelope, 'items' | 'baseData' | 'hiddenDanger' | 'dangerRecord' | 'warningFeedback' | 'summary'>;

/**
 * What a valid envelope's body lacks or has too much for its type (a hidden_danger message needs its
 * record, a realtime one no document); undefined when it fits. The schema alone cannot say it: the
 * coded profiles extend it.
 */
export function envelopeBodyProblem(e: Pick<Envelope, 'type' | 'items' | 'baseData' | 'hiddenDanger' | 'dangerRecord' | 'warningFeedback' | 'summary'>): string | undefined {
  const present = (['baseData', 'hiddenDanger', 'dangerRecord', 'warningFeedback', 'summary'] as const).filter((f) => e[f] !== undefined);
  const expected: readonly string[] = e.type === 'hidden_danger' ? ['hiddenDanger', 'dangerRecord'] : isDocumentType(e.type) ? [DOCUMENT_FIELDS[e.type]] : [];
  if (expected.length > 0) {
    if (present.length !== 1 || !expected.includes(present[0]!)) return `a ${e.type} message carries exactly one of ${expected.join(' / ')} (has: ${present.join(', ') || 'none'})`;
    if (e.items.length > 0) return `a ${e.type} message has no items`;
  } else if (present.length > 0) return `a ${e.type} message carries no ${present.join(', ')}`;
  return undefined;
}

/** A message ready for the wire: its header (for topics, logs) and its JSON text. */
export interface OutgoingMessage {
  header: EnvelopeHeader;
  json: string;
}

/**
 * The envelope's JSON from its header and the items' JSON as queued, without parsing the items
 * again: a 500-item snapshot costs milliseconds to parse and re-serialise, which is what limits
 * the replay rate otherwise. Field order is the envelope's.
 */
export function encodeEnvelope(header: EnvelopeHeader, itemsJson: string): OutgoingMessage {
  const h: EnvelopeHeader = {
    dataId: header.dataId,
    seq: header.seq,
    type: header.type,
    enterpriseCode: header.enterpriseCode,
    gatewayCode: header.gatewayCode,
    timestamp: header.timestamp,
    historical: header.historical,
  };
  // A document message keeps its document where other messages keep their items (see queue.ts).
  const body = isDocumentType(h.type) ? `"items":[],"${DOCUMENT_FIELDS[h.type]}":${itemsJson}` : `"items":${itemsJson}`;
  return { header: h, json: `${JSON.stringify(h).slice(0, -1)},${body}}` };
}

export function outgoing(envelope: Envelope): OutgoingMessage {
  const { items, baseData, hiddenDanger, dangerRecord: _coded, warningFeedback, summary, ...header } = envelope;
  const documents = { basedata: baseData, hidden_danger: hiddenDanger, warning_feedback: warningFeedback, summary };
  return encodeEnvelope(header, isDocumentType(header.type) ? JSON.stringify(documents[header.type]) : JSON.stringify(items));
}
