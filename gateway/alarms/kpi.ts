import { ALARM_DEFAULTS } from '../core/alarm-defaults.js';
import { isAnnunciated, type AlarmEvent, type AlarmState, type Severity } from '../core/alarm-event.js';

/**
 * Alarm-system performance KPIs (ISA-18.2 / IEC 62682 §16, EEMUA 191) computed from the alarm
 * journal. Pure: no I/O, no clock; the caller gives the period.
 *
 * Only NEW ACTIVATIONS count as alarms: an event whose `active` is true where the previous event of
 * the same alarm had `active` false (or there was none). Acknowledgements, returns to normal,
 * shelving, suppression and comments are journaled with `active` unchanged and are not alarms.
 * An activation is "annunciated" when the state it put the alarm in is shown to the operator
 * (UNACK, LATCHED_UNACK …); activations while SHELVED / SUPPRESSED / OUT_OF_SERVICE are counted
 * separately and take no part in the load figures (rates, floods, bad actors, priorities).
 */

export const MINUTE = 60_000;
export const TEN_MINUTES = 10 * MINUTE;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** ISA-18.2 / EEMUA 191: a flood is more than 10 annunciated alarms in 10 minutes (the config's default). */
export const FLOOD_THRESHOLD = ALARM_DEFAULTS.floodThreshold;
export const FLOOD_WINDOW_MS = ALARM_DEFAULTS.floodWindowMs;
/** ISA-18.2 §16.9 / common practice: 3 or more activations of one alarm within 60 s is chattering. */
export const CHATTER_COUNT = 3;
export const CHATTER_WINDOW_MS = MINUTE;
/** ISA-18.2 §16.10: an alarm standing (condition active) for more than 24 h is stale. */
export const STALE_AFTER_MS = DAY;
export const BAD_ACTOR_COUNT = 10;

export type LoadRating = 'acceptable' | 'manageable' | 'over-demanding' | 'unacceptable';

export interface RateThresholds {
  /** Average at or below this: very likely acceptable. */
  acceptable: number;
  /** At or below this: manageable. */
  manageable: number;
  /** At or below this: likely over-demanding; above: very likely unacceptable. */
  overDemanding: number;
}

/**
 * Long-term average alarm rate in steady operation, EEMUA 191 (3rd ed., 2013) table "average alarm
 * rate": less than 1 per 10 min very likely acceptable, 1 per 5 min manageable, 1 per 2 min likely
 * over-demanding, more than 1 per minute very likely unacceptable. ISA-18.2 (2016) §16.5 table 5
 * gives the same per 10 min (~1 acceptable, ~2 maximum manageable) and ~6 / ~12 per hour, ~150 / ~300
 * per day. Here the per-10-min figures are scaled exactly (×6 per hour, ×144 per day) so one average
 * rate gets one rating whatever the window; "over-demanding" spans 1 per 5 min to 1 per minute.
 */
export const RATE_THRESHOLDS = {
  per10min: { acceptable: 1, manageable: 2, overDemanding: 10 },
  perHour: { acceptable: 6, manageable: 12, overDemanding: 60 },
  perDay: { acceptable: 144, manageable: 288, overDemanding: 1440 },
} as const satisfies Record<string, RateThresholds>;
export type RateWindow = keyof typeof RATE_THRESHOLDS;
export const RATE_WINDOW_MS: Record<RateWindow, number> = { per10min: TEN_MINUTES, perHour: HOUR, perDay: DAY };

/**
 * ISA-18.2 recommends three priorities, about 80 % low, 15 % medium, 5 % high. The gateway has four
 * severities (the Chinese risk colours); they map as 1 blue 低 and 2 yellow 一般 → low, 3 orange 较大
 * → medium, 4 red 重大 → high.
 */
export type PriorityClass = 'low' | 'medium' | 'high';
export const PRIORITY_CLASS: Record<Severity, PriorityClass> = { 1: 'low', 2: 'low', 3: 'medium', 4: 'high' };
export const PRIORITY_TARGET_PERCENT: Record<PriorityClass, number> = { low: 80, medium: 15, high: 5 };

const UNACKED_STATES: ReadonlySet<AlarmState> = new Set(['UNACK', 'RTN_UNACK', 'LATCHED_UNACK']);
const ACKED_STATES: ReadonlySet<AlarmState> = new Set(['ACKED', 'NORMAL', 'LATCHED_ACKED']);

export interface KpiOptions {
  /** Start of the period (inclusive), ms since epoch. */
  from: number;
  /** End of the period (exclusive), ms since epoch; "now" for a live report. */
  to: number;
  /** Area (console) of a point, for per-area figures. Without it only the total is given. */
  areaOf?: (point: string) => string;
  /** The flood definition (default EEMUA 191: more than 10 in 10 min), as in the config's `alarms:`. */
  flood?: { threshold: number; windowMs: number };
}

export interface AlarmRef {
  alarmId: string;
  point: string;
  condition: string;
  severity: Severity;
  area: string;
}

export interface RateKpi {
  windowMs: number;
  /** Annunciated activations per window, averaged over the period (scaled when the period is shorter). */
  average: number;
  /** Most activations in one window; windows are fixed, laid end to end from `from`. */
  peak: number;
  peakStart: number | null;
  rating: LoadRating;
  thresholds: RateThresholds;
}

export interface FloodPeriod {
  start: number;
  end: number;
  /** Annunciated activations that made up the flood: those in (start − window, end). */
  count: number;
  /** Most activations in any one flood window during the flood. */
  peak: number;
  /** The flood had not ended at `to`; `end` is `to`. */
  ongoing: boolean;
}

export interface ChatteringAlarm extends AlarmRef {
  /** Most activations within any 60 s. */
  maxIn60s: number;
  activations: number;
}

export interface StaleAlarm extends AlarmRef {
  activeSince: number;
  /** When the condition cleared; null when still active at `to`. */
  clearedAt: number | null;
  durationMs: number;
  /** State at `to` (or when it cleared). */
  state: AlarmState;
}

export interface BadActor extends AlarmRef {
  count: number;
  sharePercent: number;
}

export interface PriorityShare {
  count: number;
  percent: number;
}

export interface PriorityKpi {
  bySeverity: Record<Severity, PriorityShare>;
  byClass: Record<PriorityClass, PriorityShare & { targetPercent: number }>;
}

export interface AckKpi {
  /** Acknowledgements made in the period. */
  count: number;
  medianMs: number | null;
  /** 90th percentile, nearest-rank method. */
  p90Ms: number | null;
  maxMs: number | null;
  /**
   * Annunciated activations in the period never acknowledged by `to`: still waiting, or replaced by
   * a new activation, shelved or taken out of service before anyone acknowledged them.
   */
  unacknowledged: number;
}

export interface KpiFigures {
  /** New annunciated activations in the period: the alarm load on the operator. */
  annunciated: number;
  /** Distinct alarms that had an annunciated activation. */
  alarmsActivated: number;
  /** New activations that were journaled but not shown, by the state that hid them. */
  notAnnunciated: { shelved: number; suppressed: number; outOfService: number };
  /**
   * An alarm shown unacknowledged again while its condition persisted, without a new activation:
   * re-alarm after acknowledgement, or the end of shelving, suppression or out-of-service. Reported,
   * not counted in the load figures.
   */
  reAnnunciated: number;
  rates: Record<RateWindow, RateKpi>;
  /** `threshold` and `windowMs`: the flood definition these figures were computed with. */
  flood: { threshold: number; windowMs: number; periods: FloodPeriod[]; timeInFloodMs: number; percentTimeInFlood: number };
  chattering: ChatteringAlarm[];
  stale: StaleAlarm[];
  badActors: BadActor[];
  /** Share of all annunciated activations made by the top-10 bad actors, in %. */
  top10SharePercent: number;
  priority: PriorityKpi;
  timeToAck: AckKpi;
}

export interface AlarmKpis {
  from: number;
  to: number;
  periodMs: number;
  total: KpiFigures;
  /** Per area (console), sorted by name; empty without `areaOf`. */
  areas: (KpiFigures & { area: string })[];
}

interface Activation extends AlarmRef {
  ts: number;
  /** The state the activation put the alarm in. */
  state: AlarmState;
  annunciated: boolean;
  acked: boolean;
}

interface Ack {
  area: string;
  ts: number;
  delayMs: number;
}

interface Tracker {
  last: AlarmEvent;
  activeSince?: number | undefined;
  current?: Activation | undefined;
  /** The activation awaiting acknowledgement, and since when the operator has seen it unacknowledged. */
  pending?: { activation: Activation; since: number } | undefined;
}

/** What the journal says happened in the period, before any figure is computed. */
interface Replay {
  activations: Activation[];
  acks: Ack[];
  reAnnunciations: { area: string; ts: number }[];
  stale: StaleAlarm[];
}

function replay(events: readonly AlarmEvent[], opts: KpiOptions): Replay {
  const { from, to } = opts;
  const areaCache = new Map<string, string>();
  const areaOf = (point: string): string => {
    let a = areaCache.get(point);
    if (a === undefined) {
      a = opts.areaOf ? opts.areaOf(point) : '';
      areaCache.set(point, a);
    }
    return a;
  };
  const ref = (e: AlarmEvent): AlarmRef => ({ alarmId: e.alarmId, point: e.point, condition: e.condition, severity: e.severity, area: areaOf(e.point) });
  const inPeriod = (ts: number) => ts >= from && ts < to;

  const out: Replay = { activations: [], acks: [], reAnnunciations: [], stale: [] };
  const trackers = new Map<string, Tracker>();
  // The journal's order is seq order; event timestamps of different alarms may interleave.
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  for (const e of sorted) {
    if (e.ts >= to) continue;
    const t = trackers.get(e.alarmId);
    const wasActive = t?.last.active ?? false;
    const before = t?.last.state ?? 'NORMAL';
    const tr: Tracker = t ?? { last: e };
    tr.last = e;
    trackers.set(e.alarmId, tr);

    if (e.active && !wasActive) {
      const activation: Activation = { ...ref(e), ts: e.ts, state: e.state, annunciated: isAnnunciated(e.state), acked: false };
      tr.activeSince = e.ts;
      tr.current = activation;
      tr.pending = activation.annunciated ? { activation, since: e.ts } : undefined;
      if (inPeriod(e.ts)) out.activations.push(activation);
      continue;
    }
    if (!e.active && wasActive) {
      const since = tr.activeSince ?? e.ts;
      if (inPeriod(e.ts) && e.ts - since > STALE_AFTER_MS) {
        out.stale.push({ ...ref(e), activeSince: since, clearedAt: e.ts, durationMs: e.ts - since, state: e.state });
      }
      tr.activeSince = undefined;
    }
    if (tr.current && e.active && UNACKED_STATES.has(e.state) && !UNACKED_STATES.has(before)) {
      if (inPeriod(e.ts)) out.reAnnunciations.push({ area: areaOf(e.point), ts: e.ts });
      // Re-alarmed after an acknowledgement, or activated while hidden and shown now: the operator
      // sees it unacknowledged from now. Still waiting from before (shelved while UNACK): keep that.
      tr.pending ??= { activation: tr.current, since: e.ts };
    }
    if (e.user !== undefined && UNACKED_STATES.has(before) && ACKED_STATES.has(e.state) && tr.pending) {
      tr.pending.activation.acked = true;
      if (inPeriod(e.ts)) out.acks.push({ area: areaOf(e.point), ts: e.ts, delayMs: e.ts - tr.pending.since });
      tr.pending = undefined;
    }
  }
  for (const tr of trackers.values()) {
    if (tr.activeSince !== undefined && to - tr.activeSince > STALE_AFTER_MS) {
      out.stale.push({ ...ref(tr.last), activeSince: tr.activeSince, clearedAt: null, durationMs: to - tr.activeSince, state: tr.last.state });
    }
  }
  out.stale.sort((a, b) => b.durationMs - a.durationMs || byId(a, b));
  return out;
}

function rating(average: number, t: RateThresholds): LoadRating {
  if (average <= t.acceptable) return 'acceptable';
  if (average <= t.manageable) return 'manageable';
  if (average <= t.overDemanding) return 'over-demanding';
  return 'unacceptable';
}

function rate(times: readonly number[], window: RateWindow, from: number, to: number): RateKpi {
  const windowMs = RATE_WINDOW_MS[window];
  const counts = new Array<number>(Math.ceil((to - from) / windowMs)).fill(0);
  for (const ts of times) counts[Math.floor((ts - from) / windowMs)]! += 1;
  let peak = 0;
  let peakStart: number | null = null;
  counts.forEach((c, i) => {
    if (c > peak) {
      peak = c;
      peakStart = from + i * windowMs;
    }
  });
  const average = times.length / ((to - from) / windowMs);
  const thresholds = RATE_THRESHOLDS[window];
  return { windowMs, average, peak, peakStart, rating: rating(average, thresholds), thresholds };
}

/**
 * Flood periods by a sliding window: at time t the count is the number of annunciated activations in
 * (t − 10 min, t]. The system is in flood while that count exceeds 10: a flood starts at the
 * activation that makes it 11 and ends when enough activations have slid out of the window that it
 * is 10 or fewer again (so 11 activations within 5 minutes give a flood lasting until 10 minutes
 * after the first of them). A flood still running at `to` is cut there and marked ongoing.
 */
export function floodPeriods(sortedTimes: readonly number[], to: number, flood: { threshold: number; windowMs: number } = { threshold: FLOOD_THRESHOLD, windowMs: FLOOD_WINDOW_MS }): FloodPeriod[] {
  const { threshold, windowMs } = flood;
  const periods: FloodPeriod[] = [];
  let enter = 0; // next activation to enter the window
  let leave = 0; // next activation to slide out of it
  let count = 0;
  let current: { start: number; firstIndex: number; peak: number } | undefined;
  while (enter < sortedTimes.length || leave < enter) {
    const nextEnter = enter < sortedTimes.length ? sortedTimes[enter]! : Infinity;
    const nextLeave = leave < enter ? sortedTimes[leave]! + windowMs : Infinity;
    const t = Math.min(nextEnter, nextLeave);
    // At time t the window (t − 10 min, t] has lost what entered at t − 10 min and gained what came at t.
    while (leave < enter && sortedTimes[leave]! + windowMs === t) {
      leave++;
      count--;
    }
    const enteredBefore = enter;
    while (enter < sortedTimes.length && sortedTimes[enter] === t) {
      enter++;
      count++;
    }
    if (count > threshold) {
      if (!current) current = { start: t, firstIndex: leave, peak: count };
      current.peak = Math.max(current.peak, count);
    } else if (current) {
      periods.push(closeFlood(current, Math.min(t, to), enteredBefore, t > to));
      current = undefined;
    }
  }
  return periods;
}

/** `entered`: activations that came before `end`; those at `end` itself did not keep the flood going. */
function closeFlood(f: { start: number; firstIndex: number; peak: number }, end: number, entered: number, ongoing: boolean): FloodPeriod {
  return { start: f.start, end, count: entered - f.firstIndex, peak: f.peak, ongoing };
}

function maxWithin(sortedTimes: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sortedTimes.length; hi++) {
    while (sortedTimes[hi]! - sortedTimes[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Chattering: 3+ activations of one alarm within any 60 s, i.e. a span shorter than 60 s. Shelved
 * activations count too: a chattering alarm that operators shelve still needs its fix. */
function chattering(activations: readonly Activation[]): ChatteringAlarm[] {
  const byAlarm = groupByAlarm(activations);
  const out: ChatteringAlarm[] = [];
  for (const list of byAlarm.values()) {
    const max = maxWithin(list.map((a) => a.ts), CHATTER_WINDOW_MS);
    if (max >= CHATTER_COUNT) out.push({ ...alarmRef(list[0]!), maxIn60s: max, activations: list.length });
  }
  return out.sort((a, b) => b.maxIn60s - a.maxIn60s || b.activations - a.activations || byId(a, b));
}

function badActors(annunciated: readonly Activation[]): BadActor[] {
  const total = annunciated.length;
  return [...groupByAlarm(annunciated).values()]
    .map((list) => ({ ...alarmRef(list[0]!), count: list.length, sharePercent: percent(list.length, total) }))
    .sort((a, b) => b.count - a.count || byId(a, b))
    .slice(0, BAD_ACTOR_COUNT);
}

function priority(annunciated: readonly Activation[]): PriorityKpi {
  const total = annunciated.length;
  const sev: Record<Severity, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
  for (const a of annunciated) sev[a.severity]++;
  const cls: Record<PriorityClass, number> = { low: 0, medium: 0, high: 0 };
  for (const s of [1, 2, 3, 4] as const) cls[PRIORITY_CLASS[s]] += sev[s];
  const share = (n: number): PriorityShare => ({ count: n, percent: percent(n, total) });
  return {
    bySeverity: { 1: share(sev[1]), 2: share(sev[2]), 3: share(sev[3]), 4: share(sev[4]) },
    byClass: {
      low: { ...share(cls.low), targetPercent: PRIORITY_TARGET_PERCENT.low },
      medium: { ...share(cls.medium), targetPercent: PRIORITY_TARGET_PERCENT.medium },
      high: { ...share(cls.high), targetPercent: PRIORITY_TARGET_PERCENT.high },
    },
  };
}

function timeToAck(acks: readonly Ack[], annunciated: readonly Activation[]): AckKpi {
  const d = acks.map((a) => a.delayMs).sort((a, b) => a - b);
  const n = d.length;
  const median = n === 0 ? null : n % 2 === 1 ? d[(n - 1) / 2]! : (d[n / 2 - 1]! + d[n / 2]!) / 2;
  return {
    count: n,
    medianMs: median,
    p90Ms: n === 0 ? null : d[Math.ceil(0.9 * n) - 1]!,
    maxMs: n === 0 ? null : d[n - 1]!,
    unacknowledged: annunciated.filter((a) => !a.acked).length,
  };
}

function figures(r: Replay, from: number, to: number, flood: { threshold: number; windowMs: number }): KpiFigures {
  const annunciated = r.activations.filter((a) => a.annunciated).sort((a, b) => a.ts - b.ts);
  const times = annunciated.map((a) => a.ts);
  const hidden = r.activations.filter((a) => !a.annunciated);
  const periods = floodPeriods(times, to, flood);
  const timeInFloodMs = periods.reduce((s, p) => s + (p.end - p.start), 0);
  const actors = badActors(annunciated);
  return {
    annunciated: annunciated.length,
    alarmsActivated: new Set(annunciated.map((a) => a.alarmId)).size,
    notAnnunciated: {
      shelved: hidden.filter((a) => a.state === 'SHELVED').length,
      suppressed: hidden.filter((a) => a.state === 'SUPPRESSED').length,
      outOfService: hidden.filter((a) => a.state === 'OUT_OF_SERVICE').length,
    },
    reAnnunciated: r.reAnnunciations.length,
    rates: { per10min: rate(times, 'per10min', from, to), perHour: rate(times, 'perHour', from, to), perDay: rate(times, 'perDay', from, to) },
    flood: { threshold: flood.threshold, windowMs: flood.windowMs, periods, timeInFloodMs, percentTimeInFlood: percent(timeInFloodMs, to - from) },
    chattering: chattering([...r.activations].sort((a, b) => a.ts - b.ts)),
    stale: r.stale,
    badActors: actors,
    top10SharePercent: percent(
      actors.reduce((s, a) => s + a.count, 0),
      annunciated.length,
    ),
    priority: priority(annunciated),
    timeToAck: timeToAck(r.acks, annunciated),
  };
}

/**
 * KPIs of the alarm journal over [from, to), in total and per area. Events before `from` give each
 * alarm's state at the start: pass each alarm's events since it was last NORMAL before `from`, so an
 * activation that began earlier is known by its true start (stale alarms, acknowledgements in the
 * period of older alarms). Events at or after `to` are ignored.
 */
export function computeAlarmKpis(events: readonly AlarmEvent[], opts: KpiOptions): AlarmKpis {
  const { from, to } = opts;
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw new RangeError(`KPI period must have to > from, got from=${from} to=${to}`);
  const flood = opts.flood ?? { threshold: FLOOD_THRESHOLD, windowMs: FLOOD_WINDOW_MS };
  const r = replay(events, opts);
  const areas: AlarmKpis['areas'] = [];
  if (opts.areaOf) {
    const names = new Set([...r.activations, ...r.acks, ...r.reAnnunciations, ...r.stale].map((x) => x.area));
    for (const area of [...names].sort()) {
      const sub: Replay = {
        activations: r.activations.filter((a) => a.area === area),
        acks: r.acks.filter((a) => a.area === area),
        reAnnunciations: r.reAnnunciations.filter((a) => a.area === area),
        stale: r.stale.filter((s) => s.area === area),
      };
      areas.push({ area, ...figures(sub, from, to, flood) });
    }
  }
  return { from, to, periodMs: to - from, total: figures(r, from, to, flood), areas };
}

function groupByAlarm(list: readonly Activation[]): Map<string, Activation[]> {
  const m = new Map<string, Activation[]>();
  for (const a of list) {
    const l = m.get(a.alarmId);
    if (l) l.push(a);
    else m.set(a.alarmId, [a]);
  }
  return m;
}

/** Alarm ids in natural order (bf2 before bf10), for stable ties. */
const ID_ORDER = new Intl.Collator('en', { numeric: true });
function byId(a: AlarmRef, b: AlarmRef): number {
  return ID_ORDER.compare(a.alarmId, b.alarmId);
}

function alarmRef(a: Activation): AlarmRef {
  return { alarmId: a.alarmId, point: a.point, condition: a.condition, severity: a.severity, area: a.area };
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (part * 100) / whole;
}
