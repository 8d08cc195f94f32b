import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../gateway/store/database.js';
import { migrateCentre } from '../../../../gateway/services/centre/centre-db.js';
import { SummaryBook } from '../../../../gateway/services/centre/summary-book.js';
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
});
