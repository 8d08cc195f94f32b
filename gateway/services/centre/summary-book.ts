import type { CentreSummary } from '../../uplink/summary.js';
import type { Db } from '../../store/database.js';

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
