import type { CentreSummary } from '../../uplink/summary.js';
import type { Db } from '../../store/database.js';
import type { CentreFigures } from './figures.js';
import type { WarningBook } from './warnings.js';

/**
 * This centre's summary for the tier above (envelope type summary, gateway/uplink/summary.ts): the
 * county figures and each enterprise's live status, as the console shows them.
 */
export function buildSummary(figures: CentreFigures, warnings: WarningBook, issuer: string, now: number): CentreSummary {
  const county = figures.county(now);
  const statuses = figures.statuses(now);
  const tracks = { pending: 0, answered: 0, overdue: 0 };
  for (const w of warnings.list(now, { limit: 100_000 })) {
    // pending counts every warning still waiting for an answer (待签收, 已签收, 处置中) and not yet overdue.
    if (w.track === 'answered') tracks.answered++;
    else if (w.track === 'overdue') tracks.overdue++;
    else tracks.pending++;
  }
  let open = 0;
  let overdue = 0;
  for (const s of statuses) {
    open += s.hiddenDangersOpen;
    overdue += s.hiddenDangersOverdue;
  }
  return {
    at: now,
    issuer,
    enterprises: county.enterprises,
    obliged: county.obliged,
    connected: county.connected,
    online: county.online,
    connectionRate: county.connectionRate,
    onlineRate: county.onlineRate,
    pointOnlineRate: county.pointOnlineRate,
    alarmsToday: county.alarmsToday,
    hiddenDangersOpen: open,
    hiddenDangersOverdue: overdue,
    warnings: tracks,
    perEnterprise: statuses.map((s) => ({
      code: s.code,
      name: s.name,
      grade: s.grade,
      online: s.online,
      lastDataTime: s.lastDataTime ?? null,
      activeAlarms: s.activeAlarms,
      hiddenDangersOpen: s.hiddenDangersOpen,
      hiddenDangersOverdue: s.hiddenDangersOverdue,
    })),
  };
}

/** The latest summary of one centre of the tier below. */
export interface TierBelowSummary {
  /** The centre's credit code (its envelopes' enterpriseCode) and the gateway code it sends as. */
  code: string;
  gatewayCode: string;
  receivedAt: number;
  historical: boolean;
  summary: CentreSummary;
}

/**
 * The latest summary of each centre in the tier below (a city centre's counties), kept in
 * centre_summary. A summary older than the one held (a replay after an outage) never replaces it.
 */
export class SummaryBook {
  private readonly latest = new Map<string, TierBelowSummary>();
  private readonly save;

  constructor(db: Db) {
    this.save = db.prepare(
      `INSERT INTO centre_summary (enterprise_code, gateway_code, at, received_at, historical, summary) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET gateway_code = excluded.gateway_code, at = excluded.at, received_at = excluded.received_at, historical = excluded.historical, summary = excluded.summary
       WHERE excluded.at > centre_summary.at`,
    );
    for (const r of db.prepare('SELECT * FROM centre_summary').all() as { enterprise_code: string; gateway_code: string; received_at: number; historical: number; summary: string }[]) {
      this.latest.set(r.enterprise_code, { code: r.enterprise_code, gatewayCode: r.gateway_code, receivedAt: r.received_at, historical: r.historical === 1, summary: JSON.parse(r.summary) as CentreSummary });
    }
  }

  /** Keeps the summary when it is newer than the one held; says whether it did. */
  apply(s: TierBelowSummary): boolean {
    const prev = this.latest.get(s.code);
    if (prev && prev.summary.at >= s.summary.at) return false;
    this.latest.set(s.code, s);
    this.save.run(s.code, s.gatewayCode, s.summary.at, s.receivedAt, s.historical ? 1 : 0, JSON.stringify(s.summary));
    return true;
  }

  get(code: string): TierBelowSummary | undefined {
    return this.latest.get(code);
  }

  list(): TierBelowSummary[] {
    return [...this.latest.values()];
  }
}
