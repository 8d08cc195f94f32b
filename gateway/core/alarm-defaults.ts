/**
 * Alarm-management defaults (EEMUA 191 / ISA-18.2), in one place: the config schema's defaults, the
 * alarm manager's fallbacks for callers without a config (tests, benchmarks) and the KPI report's
 * flood definition all read these, so they cannot drift apart.
 */
export const ALARM_DEFAULTS = {
  /** Longest an operator may shelve an alarm for: one shift. */
  maxShelveMs: 8 * 3_600_000,
  /** EEMUA 191: more than 10 annunciated alarms … */
  floodThreshold: 10,
  /** … within 10 minutes on one console is a flood. */
  floodWindowMs: 10 * 60_000,
  /** An activation after this much quiet in its area begins a new burst and is marked first out. */
  firstOutQuietMs: 60_000,
} as const;
