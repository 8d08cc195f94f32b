import { Observable } from 'rxjs';
import { z } from 'zod';
import { severitySchema } from '../../gateway/core/alarm-event.js';
import { isGood } from '../../gateway/core/quality.js';
import type { ConditionUpdate, RuleKind } from '../condition.js';

/**
 * An AI video detection (未戴安全帽, 吸烟, 人员闯入, 动火无监护, 有限空间无监护 …) as an alarm: the event
 * point (adapters/mqtt, format ai-video) is true while detections keep coming and false after the
 * hold time. The activation's detail carries the snapshot URL of the detection that raised it, so
 * the AlarmEvent holds the evidence the operator needs. Pure: no clock, no I/O.
 */
export const videoEventRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('video-event'),
  point: z.string().min(1),
  condition: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'condition is an upper-case code such as PPE').default('VIDEO'),
  severity: severitySchema.default(2),
  /** Chinese text naming the camera and area, e.g. 2#转炉平台 摄像头 cam-03 发现人员未戴安全帽. */
  message: z.string().optional(),
  /** The standard and clause the alarm enforces (依据). */
  basis: z.string().min(1).optional(),
});
export type VideoEventRule = z.infer<typeof videoEventRuleSchema>;

export const videoEventRule: RuleKind<typeof videoEventRuleSchema> = {
  kind: 'video-event',
  schema: videoEventRuleSchema,
  inputs: (rule) => [rule.point],
  alarms: (rule) => [
    {
      alarmId: `${rule.point}:${rule.condition}`,
      point: rule.point,
      condition: rule.condition,
      severity: rule.severity,
      label: '视频识别报警',
      message: rule.message,
      ruleId: rule.id,
      ...(rule.basis !== undefined ? { basis: rule.basis } : {}),
    },
  ],
  build: (rule, ctx) =>
    new Observable<ConditionUpdate>((out) => {
      const alarmId = `${rule.point}:${rule.condition}`;
      let active: boolean | undefined;
      return ctx.point$(rule.point).subscribe((r) => {
        if (!isGood(r.quality) || typeof r.value !== 'boolean' || r.value === active) return;
        active = r.value;
        out.next({ alarmId, active, value: r.value, ts: r.ts, ...(active && r.evidence ? { detail: `抓拍 ${r.evidence}` } : {}) });
      });
    }),
};
