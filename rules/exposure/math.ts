/**
 * Occupational-exposure arithmetic (DOMAIN.md): pure functions over 1-minute means, so the figures
 * can be checked against published examples without streams or clocks.
 *
 * A minute mean is undefined when the minute had no usable reading.
 */
export type MinuteMean = number | undefined;

export const MINUTE_MS = 60_000;
export const STEL_MINUTES = 15;
export const TWA_MINUTES = 480;

/**
 * Rolling 15-min STEL: the mean of the last 15 one-minute means. Minutes without data are left
 * out of the mean; below `minCoverage` (share of the 15 minutes with data) the STEL is unknown,
 * so a detector that was Bad for most of the window neither raises nor clears.
 */
export function stel(lastMinuteMeans: readonly MinuteMean[], minCoverage = 0.8): number | undefined {
  const window = lastMinuteMeans.slice(-STEL_MINUTES);
  const known = window.filter((m): m is number => m !== undefined);
  if (known.length < Math.ceil(minCoverage * STEL_MINUTES) || known.length === 0) return undefined;
  return known.reduce((a, b) => a + b, 0) / known.length;
}

/**
 * 8-h TWA: Σ(minute means) / 480 over the last 480 minutes, as the definition says. Minutes
 * without data add nothing (the OSHA convention for unsampled time); callers do not evaluate a
 * minute that itself had no data, so a Bad detector never clears a TWA alarm.
 */
export function twa8h(lastMinuteMeans: readonly MinuteMean[]): number {
  let sum = 0;
  for (const m of lastMinuteMeans.slice(-TWA_MINUTES)) if (m !== undefined) sum += m;
  return sum / TWA_MINUTES;
}

/** One line of a time-at-level table: above `level`, continuous exposure may last at most `maxMs`. */
export interface ExposureLevel {
  level: number;
  maxMs: number;
}

/**
 * CO in gas areas (DOMAIN.md, GB 6222): ≤ 24 ppm continuous work, ≤ 40 ppm at most 1 h,
 * ≤ 80 ppm at most 30 min, ≤ 160 ppm at most 15 min; above 160 ppm not at all.
 */
export const CO_TIME_AT_LEVEL_PPM: readonly ExposureLevel[] = [
  { level: 24, maxMs: 60 * MINUTE_MS },
  { level: 40, maxMs: 30 * MINUTE_MS },
  { level: 80, maxMs: 15 * MINUTE_MS },
  { level: 160, maxMs: 0 },
];

export interface TimeAtLevelState {
  /** Consecutive minutes whose mean was above each level (same order as the table). */
  runs: number[];
}

export interface TimeAtLevelVerdict {
  /** The highest level whose time is exceeded, or undefined when none is. */
  exceeded: ExposureLevel | undefined;
  /** Minutes spent above that level. */
  minutes: number;
}

export function initialTimeAtLevel(levels: readonly ExposureLevel[]): TimeAtLevelState {
  return { runs: levels.map(() => 0) };
}

/**
 * Advances the continuous-exposure counters by one minute. A minute without data (undefined)
 * leaves the counters as they are: the exposure is unknown, neither reset nor extended.
 */
export function stepTimeAtLevel(levels: readonly ExposureLevel[], state: TimeAtLevelState, minuteMean: MinuteMean): TimeAtLevelState {
  if (minuteMean === undefined) return state;
  return { runs: levels.map((l, i) => (minuteMean > l.level ? state.runs[i]! + 1 : 0)) };
}

export function judgeTimeAtLevel(levels: readonly ExposureLevel[], state: TimeAtLevelState): TimeAtLevelVerdict {
  for (let i = levels.length - 1; i >= 0; i--) {
    const l = levels[i]!;
    const minutes = state.runs[i]!;
    if (minutes > 0 && minutes * MINUTE_MS > l.maxMs) return { exceeded: l, minutes };
  }
  return { exceeded: undefined, minutes: 0 };
}

/** mg/m³ from ppm at 25 °C and 101.325 kPa (molar volume 24.45 L). */
export function ppmToMgM3(ppm: number, molarMass: number, molarVolume = 24.45): number {
  return (ppm * molarMass) / molarVolume;
}
