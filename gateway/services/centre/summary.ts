import type { CentreSummary } from '../../uplink/summary.js';
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
