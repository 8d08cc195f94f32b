import { ALARM_DEFAULTS } from '../core/alarm-defaults.js';

/** EEMUA 191 / ISA-18.2: a flood is more than 10 annunciated alarms in 10 minutes on one console. */
export interface FloodOptions {
  /** More than this many activations within the window is a flood. */
  threshold: number;
  windowMs: number;
  /** An activation after this much quiet in its area begins a new burst and is marked first out. */
  firstOutQuietMs: number;
}

export const DEFAULT_FLOOD: FloodOptions = {
  threshold: ALARM_DEFAULTS.floodThreshold,
  windowMs: ALARM_DEFAULTS.floodWindowMs,
  firstOutQuietMs: ALARM_DEFAULTS.firstOutQuietMs,
};

interface AreaHistory {
  times: number[];
  lastActivation: number;
  burstFirst?: string | undefined;
}

/**
 * Per-area activation history for flood detection and first-out marking. It only marks events; no
 * event is ever dropped or delayed because of a flood.
 */
export class FloodTracker {
  private readonly o: FloodOptions;
  private readonly areas = new Map<string, AreaHistory>();

  constructor(options: Partial<FloodOptions> = {}) {
    this.o = { ...DEFAULT_FLOOD, ...options };
  }

  activation(area: string, alarmId: string, ts: number): { firstOut: boolean; flood: boolean } {
    let h = this.areas.get(area);
    if (!h) {
      h = { times: [], lastActivation: -Infinity };
      this.areas.set(area, h);
    }
    const firstOut = ts - h.lastActivation >= this.o.firstOutQuietMs;
    if (firstOut) h.burstFirst = alarmId;
    h.lastActivation = ts;
    h.times.push(ts);
    while (h.times.length > 0 && h.times[0]! <= ts - this.o.windowMs) h.times.shift();
    return { firstOut, flood: h.times.length > this.o.threshold };
  }

  floodedAreas(now: number): { area: string; count: number; firstOut?: string | undefined }[] {
    const out: { area: string; count: number; firstOut?: string | undefined }[] = [];
    for (const [area, h] of this.areas) {
      const count = h.times.filter((t) => t > now - this.o.windowMs).length;
      if (count > this.o.threshold) out.push({ area, count, firstOut: h.burstFirst });
    }
    return out;
  }
}
