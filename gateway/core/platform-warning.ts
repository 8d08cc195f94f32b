import { z } from 'zod';

/**
 * Warnings (预警) pushed down to an enterprise by the tier above (a county monitoring centre or
 * the provincial platform), and the enterprise's feedback (反馈) on them.
 *
 * The enterprise must answer every warning with how it handled it; the sender tracks each warning
 * until it is answered. One contract for every tier: the centre role of this gateway sends the
 * same document the enterprise gateway receives from a platform profile.
 *
 * Transport: over MQTT the warning is published (QoS 1, not retained) on the uplink topic template
 * with `{type}` = `warning` (default `safety/{enterpriseCode}/{gatewayCode}/warning`); the feedback
 * goes up through the store-and-forward queue as an envelope of type `warning_feedback`.
 */

/** 1 blue 低, 2 yellow 一般, 3 orange 较大, 4 red 重大: the same scale as alarm levels uplinked. */
export const warningLevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type WarningLevel = z.infer<typeof warningLevelSchema>;

export const WARNING_LEVEL_NAMES: Record<WarningLevel, string> = { 1: '蓝色', 2: '黄色', 3: '橙色', 4: '红色' };

/** Why the sender raised it; `manual` is a warning an officer wrote by hand. */
export const WARNING_KINDS = ['offline', 'unacked_alarm', 'repeated_alarm', 'threshold', 'manual'] as const;
export const warningKindSchema = z.enum(WARNING_KINDS);
export type WarningKind = z.infer<typeof warningKindSchema>;

export const WARNING_KIND_NAMES: Record<WarningKind, string> = {
  offline: '企业离线',
  unacked_alarm: '报警未及时确认',
  repeated_alarm: '同一测点反复报警',
  threshold: '监测数据超限',
  manual: '人工下发',
};

const text = (max: number) => z.string().min(1).max(max);

export const platformWarningSchema = z.strictObject({
  /** Unique at the sender; the receiver dedups on it (a resent warning opens nothing new). */
  warningId: text(64),
  /** 统一社会信用代码 of the enterprise the warning is for. */
  enterpriseCode: z.string().length(18),
  /** The gateway it was addressed to, when the sender knows it. */
  gatewayCode: text(64).optional(),
  /** Who issued it, e.g. "某某县应急管理局监测中心". */
  issuer: text(100),
  /** ms since epoch. */
  issuedAt: z.number().int(),
  level: warningLevelSchema,
  kind: warningKindSchema,
  title: text(200),
  content: text(2000),
  /** The platform point code (测点编码) and alarm occurrence key it concerns, when it concerns one. */
  pointCode: text(64).optional(),
  alarmKey: text(128).optional(),
  /** By when the enterprise must feed back, ms since epoch. */
  feedbackDeadline: z.number().int().optional(),
});
export type PlatformWarning = z.infer<typeof platformWarningSchema>;

/** received: seen at the enterprise; in_hand: a hidden-danger record is being rectified; answered: closed with the handling. */
export const FEEDBACK_STATES = ['received', 'in_hand', 'answered'] as const;
export const feedbackStateSchema = z.enum(FEEDBACK_STATES);
export type FeedbackState = z.infer<typeof feedbackStateSchema>;

export const FEEDBACK_STATE_NAMES: Record<FeedbackState, string> = { received: '已签收', in_hand: '处置中', answered: '已反馈' };

export const warningFeedbackSchema = z.strictObject({
  warningId: text(64),
  state: feedbackStateSchema,
  /** The hidden-danger record the warning became at the enterprise. */
  hazardId: text(64).optional(),
  /** How it was handled (处置情况), in the enterprise's words. */
  content: text(2000),
  /** The user who acted. */
  handledBy: text(64),
  /** ms since epoch. */
  at: z.number().int(),
});
export type WarningFeedback = z.infer<typeof warningFeedbackSchema>;
