import type { AlarmState } from '../core/alarm-event.js';

/**
 * The facts about one alarm from which its ISA-18.2 state follows. Keeping facts rather than the
 * state itself makes every transition a change of one fact, and the state a pure function.
 */
export interface AlarmFacts {
  /** The process condition is present now. */
  active: boolean;
  /** The operator has acknowledged the latest activation. */
  acked: boolean;
  /** Latched alarm whose condition cleared but which the operator has not reset. */
  latched: boolean;
  shelved: boolean;
  suppressed: boolean;
  outOfService: boolean;
}

export const NORMAL_FACTS: AlarmFacts = { active: false, acked: true, latched: false, shelved: false, suppressed: false, outOfService: false };

/** ISA-18.2 state of an alarm. Out of service beats shelved beats suppressed (IEC 62682 §). */
export function alarmState(f: AlarmFacts): AlarmState {
  if (f.outOfService) return 'OUT_OF_SERVICE';
  if (f.shelved) return 'SHELVED';
  if (f.suppressed) return 'SUPPRESSED';
  if (f.latched) return f.acked ? 'LATCHED_ACKED' : 'LATCHED_UNACK';
  if (f.active) return f.acked ? 'ACKED' : 'UNACK';
  return f.acked ? 'NORMAL' : 'RTN_UNACK';
}
