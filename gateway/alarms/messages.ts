import { SEVERITY_INFO, type AlarmState, type Severity } from '../core/alarm-event.js';
import type { ReadingValue } from '../core/reading.js';

export const STATE_LABELS: Record<AlarmState, string> = {
  NORMAL: '正常',
  UNACK: '报警未确认',
  ACKED: '报警已确认',
  RTN_UNACK: '已恢复未确认',
  LATCHED_UNACK: '锁存未确认',
  LATCHED_ACKED: '锁存已确认',
  SHELVED: '已搁置',
  SUPPRESSED: '已抑制',
  OUT_OF_SERVICE: '已停用',
};

export function formatValue(value: ReadingValue, unit = ''): string {
  if (value === null) return '无数据';
  if (typeof value === 'boolean') return value ? '是' : '否';
  const text = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
  return unit ? `${text} ${unit}` : text;
}

export interface MessageParts {
  severity: Severity;
  pointName: string;
  equipment?: string | undefined;
  label: string;
  active: boolean;
  value: ReadingValue;
  unit?: string | undefined;
  limit?: number | undefined;
  /** Configured text replacing the label in the headline. */
  custom?: string | undefined;
  detail?: string | undefined;
}

/** Chinese alarm text with value, unit, limit and equipment, e.g. 【较大】煤气加压机房 加压机房CO 高高报: 182.3 ppm (限值 160 ppm). */
export function alarmMessage(p: MessageParts): string {
  // A configured message is a whole sentence (1#高炉炉顶压力超过联锁放散设定值…): it replaces the point
  // name and label; the equipment is added only when the sentence does not name it already.
  const subject = p.custom
    ? `${p.equipment && !p.custom.includes(p.equipment) ? `${p.equipment} ` : ''}${p.custom}`
    : `${p.equipment ? `${p.equipment} ` : ''}${p.pointName} ${p.label}`;
  const limit = p.limit !== undefined && typeof p.value !== 'boolean' ? ` (限值 ${formatValue(p.limit, p.unit)})` : '';
  const detail = p.detail ? `，${p.detail}` : '';
  if (p.active) return `【${SEVERITY_INFO[p.severity].zh}】${subject}: ${formatValue(p.value, p.unit)}${limit}${detail}`;
  return `${subject} 已恢复: ${formatValue(p.value, p.unit)}${detail}`;
}
