import type { CentreSummary, StaleCentre, SummaryCentre } from '../../uplink/summary.js';
import type { Grade, SubordinateCentre } from './enterprise.js';
import type { CentreFigures, CountyFigures } from './figures.js';
import type { CentreIntake } from './intake.js';
import type { EnterpriseRegister } from './register.js';
import type { TierBelowSummary } from './summary-book.js';
import type { WarningBook } from './warnings.js';

/** This centre's warnings (预警) by how far their feedback got. */
export interface WarningTracks {
  /** Waiting for an answer (待签收, 已签收, 处置中) and not yet overdue. */
  pending: number;
  answered: number;
  overdue: number;
}

export function warningTracks(book: WarningBook, now: number): WarningTracks {
  const tracks = { pending: 0, answered: 0, overdue: 0 };
  for (const w of book.list(now, { limit: 100_000 })) {
    if (w.track === 'answered') tracks.answered++;
    else if (w.track === 'overdue') tracks.overdue++;
    else tracks.pending++;
  }
  return tracks;
}

/** A centre of the tier below, its link state and its latest summary (if one came). */
export interface BelowCentre {
  centre: SubordinateCentre;
  linkOnline: boolean;
  latest: TierBelowSummary | undefined;
}

/**
 * The figures of a centre with centres below it (a city, a province): its own enterprises plus the
 * latest live summaries below, added up. Every count field of CountyFigures is such a total, so a
 * screen or the summary upward reads it like a county's.
 */
export interface TierFigures extends CountyFigures {
  /** Warnings of this centre and of the live centres below. */
  warnings: WarningTracks;
  /** This centre's own enterprises only (what a county's figures are). */
  own: CountyFigures & { warnings: WarningTracks };
  /** The centres directly below: registered, with a live summary, stale (old or no summary). */
  centres: { registered: number; live: number; stale: number };
  perCentre: SummaryCentre[];
  /**
   * Left out of the totals: the centres anywhere below whose summary is older than staleAfter (or
   * never came), and the enterprises they last reported.
   */
  stale: { centres: StaleCentre[]; enterprises: number };
  /**
   * Live centres below whose summary lacks the version-2 counts (an older release): their point
   * counts and this week's alarms are not in those totals, which then cover the others.
   */
  olderSummaries: string[];
}

const zero = (): Record<1 | 2 | 3 | 4, number> => ({ 1: 0, 2: 0, 3: 0, 4: 0 });
const LEVELS = [1, 2, 3, 4] as const;
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

function gradesOf(s: CentreSummary): Record<Grade, number> {
  if (s.byGrade) return s.byGrade;
  // A version-1 summary comes from a county: its enterprises are all in perEnterprise.
  const out: Record<Grade, number> = { A: 0, B: 0, C: 0, D: 0 };
  for (const e of s.perEnterprise) out[e.grade]++;
  return out;
}

/**
 * Adds the live summaries below to this centre's own figures (formulas in README.md "Summary upward
 * (tiers)"). A summary computed (or, if earlier, received) more than `staleAfter` before `now`, or a
 * centre that never sent one, is stale: listed in `stale` and `perCentre`, never in the totals.
 */
export function tierFigures(own: CountyFigures, ownWarnings: WarningTracks, below: readonly BelowCentre[], o: { now: number; staleAfter: number }): TierFigures {
  const t = {
    enterprises: own.enterprises,
    obliged: own.obliged,
    connected: own.connected,
    online: own.online,
    points: own.points,
    freshPoints: own.freshPoints,
    hiddenDangersOpen: own.hiddenDangersOpen,
    hiddenDangersOverdue: own.hiddenDangersOverdue,
  };
  const alarmsToday = { ...own.alarmsToday };
  const alarmsThisWeek = { ...own.alarmsThisWeek };
  const byGrade = { ...own.byGrade };
  const warnings = { ...ownWarnings };
  const perCentre: SummaryCentre[] = [];
  const stale: TierFigures['stale'] = { centres: [], enterprises: 0 };
  const olderSummaries: string[] = [];
  let live = 0;
  for (const b of below) {
    const s = b.latest?.summary;
    // Age from when the figures were computed, but never younger than their arrival here: a centre
    // whose clock runs ahead cannot keep a silent centre looking live.
    const isStale = s === undefined || o.now - Math.min(s.at, b.latest!.receivedAt) > o.staleAfter;
    perCentre.push({
      code: b.centre.code,
      name: b.centre.name,
      level: b.centre.level,
      regionCode: b.centre.regionCode,
      linkOnline: b.linkOnline,
      stale: isStale,
      at: s?.at ?? null,
      enterprises: s?.enterprises ?? 0,
      obliged: s?.obliged ?? 0,
      connected: s?.connected ?? 0,
      online: s?.online ?? 0,
      connectionRate: s?.connectionRate ?? null,
      onlineRate: s?.onlineRate ?? null,
      pointOnlineRate: s?.pointOnlineRate ?? null,
      alarmsToday: s?.alarmsToday ?? zero(),
      hiddenDangersOpen: s?.hiddenDangersOpen ?? 0,
      hiddenDangersOverdue: s?.hiddenDangersOverdue ?? 0,
    });
    if (isStale) {
      stale.centres.push({ code: b.centre.code, name: b.centre.name, lastSummaryAt: s?.at ?? null });
      stale.enterprises += s?.enterprises ?? 0;
      continue;
    }
    live++;
    t.enterprises += s.enterprises;
    t.obliged += s.obliged;
    t.connected += s.connected;
    t.online += s.online;
    t.hiddenDangersOpen += s.hiddenDangersOpen;
    t.hiddenDangersOverdue += s.hiddenDangersOverdue;
    for (const l of LEVELS) alarmsToday[l] += s.alarmsToday[l];
    const g = gradesOf(s);
    for (const k of ['A', 'B', 'C', 'D'] as const) byGrade[k] += g[k];
    warnings.pending += s.warnings.pending;
    warnings.answered += s.warnings.answered;
    warnings.overdue += s.warnings.overdue;
    if (s.points === undefined || s.freshPoints === undefined || s.alarmsThisWeek === undefined) olderSummaries.push(b.centre.code);
    if (s.points !== undefined && s.freshPoints !== undefined) {
      t.points += s.points;
      t.freshPoints += s.freshPoints;
    }
    if (s.alarmsThisWeek) for (const l of LEVELS) alarmsThisWeek[l] += s.alarmsThisWeek[l];
    // What was stale further down stays visible here, and out of the totals.
    if (s.stale) {
      stale.centres.push(...s.stale.centres);
      stale.enterprises += s.stale.enterprises;
    }
  }
  return {
    ...own,
    ...t,
    at: o.now,
    connectionRate: ratio(t.connected, t.obliged),
    onlineRate: ratio(t.online, t.connected),
    pointOnlineRate: ratio(t.freshPoints, t.points),
    alarmsToday,
    alarmsThisWeek,
    byGrade,
    warnings,
    own: { ...own, warnings: ownWarnings },
    centres: { registered: below.length, live, stale: below.length - live },
    perCentre,
    stale,
    olderSummaries,
  };
}

/** The tier figures of the running centre: its register's centres, their links and their latest summaries. */
export class TierView {
  constructor(
    private readonly d: { register: EnterpriseRegister; intake: CentreIntake; figures: CentreFigures; warnings: WarningBook; staleAfter: number },
  ) {}

  below(): BelowCentre[] {
    return this.d.register.centres().map((centre) => ({ centre, linkOnline: this.d.figures.link(centre).online, latest: this.d.intake.summaries.get(centre.code) }));
  }

  figures(now: number): TierFigures {
    return tierFigures(this.d.figures.county(now), warningTracks(this.d.warnings, now), this.below(), { now, staleAfter: this.d.staleAfter });
  }
}
