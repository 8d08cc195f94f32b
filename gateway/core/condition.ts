import type { ReadingValue } from './reading.js';
import type { Severity } from './alarm-event.js';

/**
 * What a rule (or a service's health check) says about one alarm at one moment: the condition is
 * present or not. Only the alarm manager turns these into alarm states and AlarmEvents.
 */
export interface ConditionUpdate {
  alarmId: string;
  active: boolean;
  value: ReadingValue;
  /** When the condition was confirmed: the reading's time, or the scheduler's time after a delay. */
  ts: number;
  /** The limit crossed, for the message and the journal. */
  limit?: number;
  /** Extra Chinese text, e.g. which interlock failed to act. */
  detail?: string;
}

/** A configured alarm: what the alarm manager knows before any condition arrives. */
export interface AlarmDefinition {
  alarmId: string;
  point: string;
  condition: string;
  severity: Severity;
  /** Chinese label of the condition, e.g. 高高报. */
  label: string;
  /** Text replacing the generated message. */
  message?: string | undefined;
  limit?: number | undefined;
  /** Latched alarms stay annunciated after the condition clears until acknowledged and reset. */
  latch?: boolean | undefined;
  /** An acknowledged alarm still active after this long is annunciated again. */
  reAlarmMs?: number | undefined;
  /** The rule that produced it, for hot reload (unchanged rules keep their alarm state). */
  ruleId: string;
  /** The standard and clause the alarm enforces (依据), e.g. 《工贸企业重大事故隐患判定标准》第四条(五). */
  basis?: string | undefined;
}
