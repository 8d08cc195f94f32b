import type { Db } from '../../store/database.js';
import type { Enterprise, Grade, RegisterEntry } from './enterprise.js';
import type { CentreIntake } from './intake.js';
import type { EnterpriseRegister } from './register.js';

/** An obliged enterprise counts as connected when it sent a valid envelope within this long. */
export const CONNECTED_WITHIN_MS = 30 * 86_400_000;
const UTC8 = 8 * 3_600_000;
const DAY = 86_400_000;

/** Midnight (China Standard Time, UTC+8) of the day `ts` falls in. */
export function startOfDayCst(ts: number): number {
  return Math.floor((ts + UTC8) / DAY) * DAY - UTC8;
}

/** Monday 00:00 CST of the week `ts` falls in. */
export function startOfWeekCst(ts: number): number {
  const day = startOfDayCst(ts);
  const weekday = (new Date(day + UTC8).getUTCDay() + 6) % 7; // Monday 0
  return day - weekday * DAY;
}

export interface EnterpriseStatus {
  code: string;
  name: string;
  industry: string;
  town: string;
  grade: Grade;
  obliged: boolean;
  /** Some gateway sent within offlineAfter. */
  online: boolean;
  /** Ever connected within CONNECTED_WITHIN_MS. */
  connected: boolean;
  lastSeen: number | undefined;
  lastDataTime: number | undefined;
  points: number;
  /** Points whose latest value is Good and younger than freshFor, over known points (0 when none known). */
  freshGoodShare: number;
  /** Active enterprise alarms by level 1–4. */
  activeAlarms: Record<1 | 2 | 3 | 4, number>;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
}

export interface CountyFigures {
  at: number;
  enterprises: number;
  obliged: number;
  connected: number;
  online: number;
  /** connected / obliged (null when nobody is obliged). */
  connectionRate: number | null;
  /** online / connected. */
  onlineRate: number | null;
  /** points with fresh Good data / points known, over connected enterprises. */
  pointOnlineRate: number | null;
  /** The counts behind pointOnlineRate (a tier above adds them up). */
  points: number;
  freshPoints: number;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
  alarmsToday: Record<1 | 2 | 3 | 4, number>;
  alarmsThisWeek: Record<1 | 2 | 3 | 4, number>;
  topEnterprises: { code: string; name: string; alarms: number }[];
  byGrade: Record<Grade, number>;
}

const zeroLevels = (): Record<1 | 2 | 3 | 4, number> => ({ 1: 0, 2: 0, 3: 0, 4: 0 });

/**
 * Live status per enterprise and the county figures. The formulas are this product's (no national
 * definition of 联网率 / 在线率 was found); README.md states each one.
 */
export class CentreFigures {
  private readonly stmt;

  constructor(
    db: Db,
    private readonly register: EnterpriseRegister,
    private readonly intake: CentreIntake,
    private readonly o: { offlineAfter: number; freshFor: number },
  ) {
    this.stmt = {
      byLevel: db.prepare('SELECT level, COUNT(DISTINCT enterprise_code || char(31) || alarm_key) AS n FROM centre_alarm_event WHERE active = 1 AND ts >= ? AND ts < ? GROUP BY level'),
      top: db.prepare('SELECT enterprise_code AS code, COUNT(DISTINCT alarm_key) AS n FROM centre_alarm_event WHERE active = 1 AND ts >= ? AND ts < ? GROUP BY enterprise_code ORDER BY n DESC, code LIMIT ?'),
      perEnterprise: db.prepare('SELECT enterprise_code AS code, level, COUNT(DISTINCT alarm_key) AS n FROM centre_alarm_event WHERE active = 1 AND ts >= ? AND ts < ? GROUP BY enterprise_code, level'),
      byEnterprise: db.prepare('SELECT alarm_key, point_code, alarm_type, level, active, state, message, ts, historical FROM centre_alarm_event WHERE enterprise_code = ? AND ts >= ? ORDER BY ts DESC, id DESC LIMIT ?'),
    };
  }

  /** Whether any gateway of an entry (enterprise or centre below) is online, and when one was last heard. */
  link(e: RegisterEntry): { online: boolean; lastSeen: number | undefined } {
    let lastSeen: number | undefined;
    let online = false;
    for (const g of e.gateways) {
      const live = this.intake.gateways.get(`${e.code}/${g}`);
      if (!live?.lastSeen) continue;
      lastSeen = Math.max(lastSeen ?? 0, live.lastSeen);
      online ||= live.online;
    }
    return { online, lastSeen };
  }

  status(e: Enterprise, now: number): EnterpriseStatus {
    const { online, lastSeen } = this.link(e);
    const latest = this.intake.latest.get(e.code);
    const known = this.intake.pointInfo.get(e.code)?.size ?? 0;
    let fresh = 0;
    let lastDataTime: number | undefined;
    for (const v of latest?.values() ?? []) {
      lastDataTime = Math.max(lastDataTime ?? 0, v.time);
      if (v.quality === 'Good' && now - v.time <= this.o.freshFor) fresh++;
    }
    const activeAlarms = zeroLevels();
    for (const a of this.intake.alarms.get(e.code)?.values() ?? []) if (a.active && a.level >= 1 && a.level <= 4) activeAlarms[a.level as 1 | 2 | 3 | 4]++;
    let open = 0;
    let overdue = 0;
    for (const d of this.intake.hiddenDangers.get(e.code)?.values() ?? []) {
      if (d.state === 'closed') continue;
      open++;
      if (d.dangerManageDeadline !== undefined && d.dangerManageDeadline < now) overdue++;
    }
    return {
      code: e.code,
      name: e.name,
      industry: e.industry,
      town: e.town,
      grade: e.grade,
      obliged: e.obliged,
      online,
      connected: lastSeen !== undefined && now - lastSeen <= CONNECTED_WITHIN_MS,
      lastSeen,
      lastDataTime,
      points: known,
      freshGoodShare: known === 0 ? 0 : Math.min(1, fresh / known),
      activeAlarms,
      hiddenDangersOpen: open,
      hiddenDangersOverdue: overdue,
    };
  }

  statuses(now: number): EnterpriseStatus[] {
    return this.register.list().map((e) => this.status(e, now));
  }

  county(now: number, top = 10): CountyFigures {
    // The alarm log is written in batches: what arrived up to now counts.
    this.intake.flush();
    const statuses = this.statuses(now);
    const obliged = statuses.filter((s) => s.obliged);
    const connected = obliged.filter((s) => s.connected);
    const online = connected.filter((s) => s.online);
    let points = 0;
    let freshPoints = 0;
    for (const s of connected) {
      points += s.points;
      freshPoints += Math.round(s.freshGoodShare * s.points);
    }
    const levels = (from: number): Record<1 | 2 | 3 | 4, number> => {
      const out = zeroLevels();
      for (const r of this.stmt.byLevel.all(from, now + 1) as { level: number; n: number }[]) if (r.level >= 1 && r.level <= 4) out[r.level as 1 | 2 | 3 | 4] = r.n;
      return out;
    };
    const byGrade: Record<Grade, number> = { A: 0, B: 0, C: 0, D: 0 };
    let open = 0;
    let overdue = 0;
    for (const s of statuses) {
      byGrade[s.grade]++;
      open += s.hiddenDangersOpen;
      overdue += s.hiddenDangersOverdue;
    }
    const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
    return {
      at: now,
      enterprises: statuses.length,
      obliged: obliged.length,
      connected: connected.length,
      online: online.length,
      connectionRate: ratio(connected.length, obliged.length),
      onlineRate: ratio(online.length, connected.length),
      pointOnlineRate: ratio(freshPoints, points),
      points,
      freshPoints,
      hiddenDangersOpen: open,
      hiddenDangersOverdue: overdue,
      alarmsToday: levels(startOfDayCst(now)),
      alarmsThisWeek: levels(startOfWeekCst(now)),
      topEnterprises: (this.stmt.top.all(startOfWeekCst(now), now + 1, top) as { code: string; n: number }[]).map((r) => ({ code: r.code, name: this.register.get(r.code)?.name ?? r.code, alarms: r.n })),
      byGrade,
    };
  }

  /** Alarm activations in [from, to) per enterprise and level (the daily report). */
  alarmsByEnterprise(from: number, to: number): Map<string, Record<1 | 2 | 3 | 4, number>> {
    this.intake.flush();
    const out = new Map<string, Record<1 | 2 | 3 | 4, number>>();
    for (const r of this.stmt.perEnterprise.all(from, to) as { code: string; level: number; n: number }[]) {
      if (r.level < 1 || r.level > 4) continue;
      const levels = out.get(r.code) ?? zeroLevels();
      levels[r.level as 1 | 2 | 3 | 4] = r.n;
      out.set(r.code, levels);
    }
    return out;
  }

  /** An enterprise's alarm log (live and replayed), newest first. */
  alarmLog(code: string, since: number, now: number, limit = 500) {
    this.intake.flush();
    return (this.stmt.byEnterprise.all(code, since, limit) as { alarm_key: string; point_code: string; alarm_type: string; level: number; active: number; state: string | null; message: string | null; ts: number; historical: number }[]).map((r) => ({
      alarmKey: r.alarm_key,
      pointCode: r.point_code,
      alarmType: r.alarm_type,
      level: r.level,
      active: r.active === 1,
      state: r.state,
      message: r.message,
      ts: r.ts,
      historical: r.historical === 1,
    }));
  }
}
