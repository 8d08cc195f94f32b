import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../gateway/store/database.js';
import { migrateCentre } from '../../../../gateway/services/centre/centre-db.js';
import { aggregateSummaries, SummaryBook } from '../../../../gateway/services/centre/summary-book.js';
import { centreSummarySchema, type CentreSummary } from '../../../../gateway/uplink/summary.js';

const COUNTY = '11350121MB00000015';
const summary = (at: number, online: number): CentreSummary =>
  centreSummarySchema.parse({
    at,
    issuer: '某县应急管理局监测中心',
    enterprises: 2,
    obliged: 2,
    connected: 2,
    online,
    connectionRate: 1,
    onlineRate: online / 2,
    pointOnlineRate: null,
    alarmsToday: { 1: 0, 2: 0, 3: 1, 4: 0 },
    hiddenDangersOpen: 0,
    hiddenDangersOverdue: 0,
    warnings: { pending: 1, answered: 0, overdue: 0 },
    perEnterprise: [],
  });

describe('SummaryBook (the summaries of the centres below)', () => {
  it('keeps the newest summary per centre: a replayed older one never replaces it, and it survives a reopen', () => {
    const db = openDatabase(':memory:');
    migrateCentre(db);
    const book = new SummaryBook(db);
    expect(book.apply({ code: COUNTY, gatewayCode: 'county', receivedAt: 10, historical: false, summary: summary(2000, 2) })).toBe(true);
    // A backlog after an outage delivers an older summary later.
    expect(book.apply({ code: COUNTY, gatewayCode: 'county', receivedAt: 20, historical: true, summary: summary(1000, 0) })).toBe(false);
    expect(book.get(COUNTY)?.summary.online).toBe(2);
    expect(book.apply({ code: COUNTY, gatewayCode: 'county', receivedAt: 30, historical: false, summary: summary(3000, 1) })).toBe(true);
    const again = new SummaryBook(db);
    expect(again.list()).toEqual([expect.objectContaining({ code: COUNTY, receivedAt: 30, historical: false, summary: expect.objectContaining({ at: 3000, online: 1, onlineRate: 0.5 }) })]);
  });

  it('adds up the centres below: rates from the summed counts, not averaged rates', () => {
    const a = { ...summary(1, 2), obliged: 2, connected: 2, online: 2 };
    const b = { ...summary(1, 0), enterprises: 8, obliged: 8, connected: 4, online: 1, warnings: { pending: 0, answered: 3, overdue: 2 } };
    const t = aggregateSummaries([a, b]);
    expect(t).toMatchObject({ centres: 2, enterprises: 10, obliged: 10, connected: 6, online: 3, hiddenDangersOpen: 0, warnings: { pending: 1, answered: 3, overdue: 2 } });
    expect(t.connectionRate).toBeCloseTo(0.6);
    expect(t.onlineRate).toBeCloseTo(0.5);
    expect(t.alarmsToday).toEqual({ 1: 0, 2: 0, 3: 2, 4: 0 });
    expect(aggregateSummaries([])).toMatchObject({ centres: 0, connectionRate: null, onlineRate: null });
  });
});
