import type { CentreSummary } from '../../uplink/summary.js';
import type { EnterpriseStatus } from './figures.js';
import type { TierFigures } from './tier-figures.js';

/**
 * This centre's summary for the tier above (envelope type summary, gateway/uplink/summary.ts): its
 * figures — with centres below, the totals of its own enterprises and their live summaries, so a
 * province above a city counts the enterprises under the city's counties — its own enterprises'
 * live status, and the centres directly below with their totals (the province's drill-down).
 */
export function buildSummary(tier: TierFigures, statuses: readonly EnterpriseStatus[], issuer: string): CentreSummary {
  return {
    at: tier.at,
    issuer,
    enterprises: tier.enterprises,
    obliged: tier.obliged,
    connected: tier.connected,
    online: tier.online,
    connectionRate: tier.connectionRate,
    onlineRate: tier.onlineRate,
    pointOnlineRate: tier.pointOnlineRate,
    alarmsToday: tier.alarmsToday,
    hiddenDangersOpen: tier.hiddenDangersOpen,
    hiddenDangersOverdue: tier.hiddenDangersOverdue,
    warnings: tier.warnings,
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
    points: tier.points,
    freshPoints: tier.freshPoints,
    alarmsThisWeek: tier.alarmsThisWeek,
    byGrade: tier.byGrade,
    perCentre: tier.perCentre,
    stale: tier.stale,
  };
}
