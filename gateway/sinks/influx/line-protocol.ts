import { Point } from '@influxdata/influxdb-client';
import type { Reading } from '../../core/reading.js';
import type { AlarmEvent } from '../../core/alarm-event.js';
import type { QualityCode } from '../../core/quality.js';
import { isBad, isGood } from '../../core/quality.js';

/**
 * The InfluxDB schema (see README.md). Timestamps are nanoseconds: a reading's ms time × 10^6; an
 * alarm event adds seq mod 10^6 so two events of one alarm in the same millisecond stay two rows.
 * A replayed line therefore has the very same series and time, and InfluxDB overwrites instead of
 * duplicating.
 */
export interface PointTags {
  site: string;
  equipment?: string | undefined;
}

export function qualityLevel(q: QualityCode): 0 | 1 | 2 {
  return isGood(q) ? 0 : isBad(q) ? 2 : 1;
}

function nanos(ms: number, extra = 0): string {
  const whole = Math.round(ms);
  return `${whole}${String(extra).padStart(6, '0')}`;
}

export function readingLine(measurement: string, r: Reading, tags: PointTags): string | undefined {
  const p = new Point(measurement).tag('site', tags.site).tag('point', r.point);
  if (tags.equipment) p.tag('equipment', tags.equipment);
  if (typeof r.value === 'number' && Number.isFinite(r.value)) p.floatField('value', r.value);
  else if (typeof r.value === 'boolean') p.floatField('value', r.value ? 1 : 0);
  p.stringField('quality', r.quality).intField('quality_level', qualityLevel(r.quality));
  p.timestamp(nanos(r.ts));
  return p.toLineProtocol();
}

export function alarmLine(measurement: string, e: AlarmEvent, site: string): string | undefined {
  const p = new Point(measurement)
    .tag('site', site)
    .tag('point', e.point)
    .tag('alarm_id', e.alarmId)
    .tag('condition', e.condition)
    .tag('severity', String(e.severity))
    .tag('state', e.state)
    .intField('seq', e.seq)
    .booleanField('active', e.active)
    .stringField('message', e.message);
  if (typeof e.value === 'number' && Number.isFinite(e.value)) p.floatField('value', e.value);
  else if (typeof e.value === 'boolean') p.floatField('value', e.value ? 1 : 0);
  if (e.limit !== undefined) p.floatField('limit', e.limit);
  if (e.user) p.stringField('user', e.user);
  if (e.comment) p.stringField('comment', e.comment);
  if (e.basis) p.stringField('basis', e.basis);
  p.timestamp(nanos(e.ts, e.seq % 1_000_000));
  return p.toLineProtocol();
}
