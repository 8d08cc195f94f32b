import { describe, expect, it } from 'vitest';
import { usccCheckChar } from '../../../../gateway/config/uscc.js';
import type { SubordinateCentre } from '../../../../gateway/services/centre/enterprise.js';
import type { CountyFigures, EnterpriseStatus } from '../../../../gateway/services/centre/figures.js';
import { buildSummary } from '../../../../gateway/services/centre/summary.js';
import { tierFigures, type BelowCentre } from '../../../../gateway/services/centre/tier-figures.js';
import { centreSummarySchema, type CentreSummary } from '../../../../gateway/uplink/summary.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const C1 = code('11350121MB0000001');
const C2 = code('11350122MB0000002');
const C3 = code('11350123MB0000003');
const ENT = code('91350100M000100Y4');
const NOW = 1_800_000_000_000;
const MIN = 60_000;
const levels = (a: number, b: number, c: number, d: number) => ({ 1: a, 2: b, 3: c, 4: d });

const own = (o: Partial<CountyFigures> = {}): CountyFigures => ({
  at: NOW,
  enterprises: 1,
  obliged: 1,
  connected: 1,
  online: 1,
  connectionRate: 1,
  onlineRate: 1,
  pointOnlineRate: 0.5,
  points: 10,
  freshPoints: 5,
  hiddenDangersOpen: 1,
  hiddenDangersOverdue: 0,
  alarmsToday: levels(0, 0, 1, 0),
  alarmsThisWeek: levels(0, 1, 1, 0),
  topEnterprises: [],
  byGrade: { A: 1, B: 0, C: 0, D: 0 },
  ...o,
});

const centre = (c: string, name: string, level: 'county' | 'city' = 'county'): SubordinateCentre => ({ kind: 'centre', code: c, name, level, regionCode: '350121', gateways: [`gw-${name}`], contacts: [], createdAt: 0, updatedAt: 0 });

/** A version-1 summary (no point counts, week alarms, grades, centres below): an older county. */
const v1 = (at: number, o: Partial<CentreSummary> = {}): CentreSummary =>
  centreSummarySchema.parse({
    at,
    issuer: '某县监测中心',
    enterprises: 4,
    obliged: 4,
    connected: 3,
    online: 2,
    connectionRate: 0.75,
    onlineRate: 2 / 3,
    pointOnlineRate: 0.9,
    alarmsToday: levels(1, 0, 0, 2),
    hiddenDangersOpen: 2,
    hiddenDangersOverdue: 1,
    warnings: { pending: 1, answered: 2, overdue: 0 },
    perEnterprise: [
      { code: ENT, name: '甲', grade: 'B', online: true, lastDataTime: at, activeAlarms: levels(0, 0, 0, 0), hiddenDangersOpen: 0, hiddenDangersOverdue: 0 },
      { code: ENT, name: '乙', grade: 'D', online: true, lastDataTime: at, activeAlarms: levels(0, 0, 0, 0), hiddenDangersOpen: 0, hiddenDangersOverdue: 0 },
    ],
    ...o,
  });

const below = (c: SubordinateCentre, summary: CentreSummary | undefined, linkOnline = true, receivedAt = summary?.at ?? 0): BelowCentre => ({ centre: c, linkOnline, latest: summary && { code: c.code, gatewayCode: c.gateways[0]!, receivedAt, historical: false, summary } });
const warnings = { pending: 0, answered: 1, overdue: 1 };

describe('tier figures (a centre with centres below)', () => {
  it('adds its own enterprises and the live summaries below; rates come from the summed counts', () => {
    const v2 = { ...v1(NOW - MIN, { enterprises: 10, obliged: 8, connected: 8, online: 4 }), points: 100, freshPoints: 80, alarmsThisWeek: levels(0, 0, 2, 3), byGrade: { A: 0, B: 0, C: 5, D: 5 } };
    const t = tierFigures(own(), warnings, [below(centre(C1, '甲县'), v1(NOW - MIN)), below(centre(C2, '乙县'), v2)], { now: NOW, staleAfter: 5 * MIN });
    expect(t).toMatchObject({ enterprises: 15, obliged: 13, connected: 12, online: 7, hiddenDangersOpen: 5, hiddenDangersOverdue: 2, centres: { registered: 2, live: 2, stale: 0 } });
    expect(t.connectionRate).toBeCloseTo(12 / 13);
    expect(t.onlineRate).toBeCloseTo(7 / 12);
    expect(t.alarmsToday).toEqual(levels(2, 0, 1, 4));
    expect(t.warnings).toEqual({ pending: 2, answered: 5, overdue: 1 });
    // Grades: the v1 county's from its enterprises, the v2 one's as sent.
    expect(t.byGrade).toEqual({ A: 1, B: 1, C: 5, D: 6 });
    // Point counts and week alarms only where the summary carries them; the older one is named.
    expect(t.points).toBe(110);
    expect(t.freshPoints).toBe(85);
    expect(t.pointOnlineRate).toBeCloseTo(85 / 110);
    expect(t.alarmsThisWeek).toEqual(levels(0, 1, 3, 3));
    expect(t.olderSummaries).toEqual([C1]);
    expect(t.own).toMatchObject({ enterprises: 1, warnings });
    expect(t.stale).toEqual({ centres: [], enterprises: 0 });
  });

  it('leaves a centre whose summary is old, or never came, out of the totals and counts it apart', () => {
    const t = tierFigures(own({ enterprises: 0, obliged: 0, connected: 0, online: 0, points: 0, freshPoints: 0 }), warnings, [below(centre(C1, '甲县'), v1(NOW - 6 * MIN), false), below(centre(C2, '乙县'), undefined, false), below(centre(C3, '丙县'), v1(NOW - 4 * MIN))], {
      now: NOW,
      staleAfter: 5 * MIN,
    });
    expect(t).toMatchObject({ enterprises: 4, obliged: 4, connected: 3, online: 2, centres: { registered: 3, live: 1, stale: 2 } });
    expect(t.stale).toEqual({
      centres: [
        { code: C1, name: '甲县', lastSummaryAt: NOW - 6 * MIN },
        { code: C2, name: '乙县', lastSummaryAt: null },
      ],
      enterprises: 4,
    });
    expect(t.perCentre.map((c) => [c.code, c.stale, c.linkOnline, c.enterprises])).toEqual([
      [C1, true, false, 4],
      [C2, true, false, 0],
      [C3, false, true, 4],
    ]);
  });

  it('judges the age by the arrival when the sender’s clock runs ahead', () => {
    // Computed "in the future" by a fast clock, but it arrived ten minutes ago and nothing since.
    const t = tierFigures(own(), warnings, [below(centre(C1, '甲县'), v1(NOW + 30 * MIN), true, NOW - 10 * MIN)], { now: NOW, staleAfter: 5 * MIN });
    expect(t.centres).toEqual({ registered: 1, live: 0, stale: 1 });
    expect(t.enterprises).toBe(1);
  });

  it('passes what is stale further down on to the tier above, and the summary it sends parses', () => {
    // A county under the city went silent: the city's summary carries it as stale.
    const county = v1(NOW - 10 * MIN);
    const city = tierFigures(own({ enterprises: 0, obliged: 0, connected: 0, online: 0, points: 0, freshPoints: 0, byGrade: { A: 0, B: 0, C: 0, D: 0 } }), warnings, [below(centre(C1, '甲县'), county, false), below(centre(C3, '丙县'), v1(NOW))], { now: NOW, staleAfter: 5 * MIN });
    const status: EnterpriseStatus[] = [];
    const citySummary = centreSummarySchema.parse(buildSummary(city, status, '某市监测中心'));
    expect(citySummary).toMatchObject({ enterprises: 4, stale: { centres: [{ code: C1 }], enterprises: 4 } });
    expect(citySummary.perCentre?.map((c) => c.code)).toEqual([C1, C3]);
    // At the province, the city is live and the county under it is still counted apart.
    const province = tierFigures(own({ enterprises: 0, obliged: 0, connected: 0, online: 0, points: 0, freshPoints: 0, byGrade: { A: 0, B: 0, C: 0, D: 0 } }), { pending: 0, answered: 0, overdue: 0 }, [below(centre(C2, '某市', 'city'), citySummary)], {
      now: NOW,
      staleAfter: 5 * MIN,
    });
    expect(province).toMatchObject({ enterprises: 4, connected: 3, online: 2, centres: { live: 1, stale: 0 }, stale: { centres: [{ code: C1, name: '甲县' }], enterprises: 4 } });
    expect(province.byGrade).toEqual({ A: 0, B: 1, C: 0, D: 1 });
    expect(province.olderSummaries).toEqual([]);
  });
});
