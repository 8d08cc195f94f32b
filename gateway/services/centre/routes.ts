import { z } from 'zod';
import type { SecurityAudit } from '../../auth/security-audit.js';
import type { Metrics } from '../../core/metrics.js';
import { WARNING_KIND_NAMES, warningLevelSchema } from '../../core/platform-warning.js';
import { ApiError, type ApiRouter } from '../api/route.js';
import { csvLine } from './csv.js';
import { centreInputSchema, CENTRE_LEVELS, creditCodeSchema, enterpriseInputSchema, GRADE_COLOURS, gradeSchema, INDUSTRIES, industrySchema } from './enterprise.js';
import { startOfDayCst } from './figures.js';
import { gradeChangeSchema } from './register.js';
import type { CentreService } from './service.js';
import type { StaleCentre, SummaryCentre } from '../../uplink/summary.js';
import { WARNING_TRACK_NAMES, type TrackedWarning } from './warnings.js';

const DAY = 86_400_000;
const codeParams = z.strictObject({ code: creditCodeSchema });
const listQuery = z.strictObject({ town: z.string().max(64).optional(), industry: industrySchema.optional(), grade: gradeSchema.optional() });
const sinceQuery = z.strictObject({ since: z.coerce.number().int().nonnegative().optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) });
const trendQuery = z.strictObject({
  point: z.string().min(1).max(64),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  maxPoints: z.coerce.number().int().min(10).max(5000).default(500),
});
const warningsQuery = z.strictObject({ enterprise: z.string().length(18).optional(), track: z.enum(['pending', 'received', 'in_hand', 'answered', 'overdue']).optional(), since: z.coerce.number().int().nonnegative().optional() });
const manualWarning = z.strictObject({ enterpriseCode: creditCodeSchema, level: warningLevelSchema, title: z.string().trim().min(2).max(200), content: z.string().trim().min(2).max(2000) });
const importBody = z.strictObject({ csv: z.string().min(1).max(5_000_000) });
/** A day as YYYY-MM-DD (China Standard Time); default today. */
const reportQuery = z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional() });

function dayBounds(date: string | undefined, now: number): { from: number; to: number; date: string } {
  const from = date === undefined ? startOfDayCst(now) : Date.parse(`${date}T00:00:00+08:00`);
  if (Number.isNaN(from)) throw new ApiError(400, `no such date ${date}`, 'query.date');
  return { from, to: from + DAY, date: new Date(from + 8 * 3_600_000).toISOString().slice(0, 10) };
}

/**
 * /api/v1/centre/…: the register, live status and figures, an enterprise's drill-down, warnings and
 * the daily report (日报). Reads need centre.read; the register, grades and manual warnings their own
 * actions, each written to the security audit with the user.
 */
export function centreRoutes(r: ApiRouter, centre: CentreService, deps: { audit: SecurityAudit; now: () => number; metrics: Metrics }): void {
  const enterpriseOf = (code: string) => {
    const e = centre.register.get(code);
    if (!e) throw new ApiError(404, `企业不在名录中 [no such enterprise] ${code}`, 'params.code');
    return e;
  };

  /** A tracked warning with the Chinese names a screen shows. */
  const named = (w: TrackedWarning) => ({ ...w, trackName: WARNING_TRACK_NAMES[w.track], kindName: WARNING_KIND_NAMES[w.warning.kind], enterpriseName: centre.register.get(w.warning.enterpriseCode)?.name ?? null });

  r.add({ method: 'GET', url: '/centre/enterprises', summary: '企业名录与实时状态 (filters: town, industry, grade)', tag: 'centre', access: 'centre.read', query: listQuery }, ({ query }) => {
    const now = deps.now();
    const enterprises = centre.figures
      .statuses(now)
      .filter((s) => (query.town === undefined || s.town === query.town) && (query.industry === undefined || s.industry === query.industry) && (query.grade === undefined || s.grade === query.grade));
    return { at: now, enterprises, grades: GRADE_COLOURS, industries: INDUSTRIES };
  });

  r.add({ method: 'GET', url: '/centre/enterprises/:code', summary: '企业详情: register entry, status, grade history, points, active alarms, warnings', tag: 'centre', access: 'centre.read', params: codeParams }, ({ params }) => {
    const now = deps.now();
    const e = enterpriseOf(params.code);
    const info = centre.intake.pointInfo.get(e.code) ?? new Map<string, { name: string | undefined; unit: string | undefined }>();
    const latest = centre.intake.latest.get(e.code);
    const points = [...info].map(([code, i]) => ({ code, name: i.name ?? null, unit: i.unit ?? null, latest: latest?.get(code) ?? null }));
    const alarms = [...(centre.intake.alarms.get(e.code)?.values() ?? [])].filter((a) => a.active).sort((a, b) => b.level - a.level || b.startedAt - a.startedAt);
    return {
      enterprise: e,
      status: centre.figures.status(e, now),
      gradeHistory: centre.register.gradeHistory(e.code),
      points,
      alarms,
      hiddenDangers: [...(centre.intake.hiddenDangers.get(e.code)?.values() ?? [])],
      warnings: centre.warnings.list(now, { enterpriseCode: e.code, limit: 100 }).map(named),
    };
  });

  r.add({ method: 'POST', url: '/centre/enterprises', summary: '登记或更新企业 (grade only for a new enterprise)', tag: 'centre', access: 'centre.register.write', body: enterpriseInputSchema }, ({ body, auth }) => {
    try {
      const { enterprise, created } = centre.register.upsert(body, auth.user.name, deps.now());
      deps.audit.record({ user: auth.user.name, action: created ? 'centre.enterprise.add' : 'centre.enterprise.update', target: enterprise.code, detail: enterprise.name });
      return { enterprise, created };
    } catch (e) {
      throw new ApiError(409, (e as Error).message);
    }
  });

  r.add({ method: 'POST', url: '/centre/enterprises/import', summary: '从 CSV 导入企业名录 (body: {csv})', tag: 'centre', access: 'centre.register.write', body: importBody }, ({ body, auth }) => {
    const result = centre.register.importCsv(body.csv, auth.user.name, deps.now());
    deps.audit.record({ user: auth.user.name, action: 'centre.enterprise.import', detail: `added ${result.added}, updated ${result.updated}, problems ${result.problems.length}` });
    return result;
  });

  r.add({ method: 'POST', url: '/centre/enterprises/:code/grade', summary: '调整企业等级 A/B/C/D (reason required; audited)', tag: 'centre', access: 'centre.grade.write', params: codeParams, body: gradeChangeSchema }, ({ params, body, auth }) => {
    enterpriseOf(params.code);
    const change = centre.register.setGrade(params.code, body.grade, auth.user.name, body.reason, deps.now());
    deps.audit.record({ user: auth.user.name, action: 'centre.grade', target: params.code, detail: `${change.from ?? '-'} → ${change.to}: ${change.reason}` });
    return change;
  });

  r.add({ method: 'GET', url: '/centre/enterprises/:code/alarms', summary: '企业报警记录 (live and replayed), newest first', tag: 'centre', access: 'centre.read', params: codeParams, query: sinceQuery }, ({ params, query }) => {
    const now = deps.now();
    enterpriseOf(params.code);
    return { events: centre.figures.alarmLog(params.code, query.since ?? now - 7 * DAY, now, query.limit) };
  });

  r.add({ method: 'GET', url: '/centre/enterprises/:code/trend', summary: '企业测点趋势 (point = platform point code)', tag: 'centre', access: 'centre.read', params: codeParams, query: trendQuery }, ({ params, query }) => {
    const now = deps.now();
    enterpriseOf(params.code);
    centre.intake.flush();
    const to = query.to ?? now;
    const from = query.from ?? to - DAY;
    if (from >= to) throw new ApiError(400, 'from must be before to', 'query.from');
    return { point: query.point, samples: centre.intake.history.trend(`${params.code}.${query.point}`, from, to, query.maxPoints) };
  });

  r.add({ method: 'POST', url: '/centre/centres', summary: '登记或更新下级监测中心 (kind centre: region code and level; no grade)', tag: 'centre', access: 'centre.register.write', body: centreInputSchema }, ({ body, auth }) => {
    try {
      const { centre: c, created } = centre.register.upsertCentre(body, deps.now());
      deps.audit.record({ user: auth.user.name, action: created ? 'centre.subordinate.add' : 'centre.subordinate.update', target: c.code, detail: c.name });
      return { centre: c, created };
    } catch (e) {
      throw new ApiError(409, (e as Error).message);
    }
  });

  // The tier below (a city's counties, a province's cities): register entries of kind centre, each
  // with its link state and latest summary; `total` is this centre's figures with them added up.
  r.add({ method: 'GET', url: '/centre/subordinates', summary: '下级监测中心及其最新汇总 (centres below, latest summary each, totals)', tag: 'centre', access: 'centre.read' }, () => {
    const now = deps.now();
    const total = centre.tier.figures(now);
    const subordinates = centre.tier.below().map((b) => {
      const row = total.perCentre.find((c) => c.code === b.centre.code)!;
      return { code: b.centre.code, name: b.centre.name, level: b.centre.level, levelName: CENTRE_LEVELS[b.centre.level], regionCode: b.centre.regionCode, gateways: b.centre.gateways, online: b.linkOnline, stale: row.stale, latest: b.latest ?? null };
    });
    return { at: now, total, subordinates };
  });

  r.add({ method: 'GET', url: '/centre/figures', summary: '统计: connection rate, online rate, alarms today / this week by level, top enterprises; with centres below, their live summaries added (stale ones apart)', tag: 'centre', access: 'centre.read' }, () => centre.tier.figures(deps.now()));

  r.add(
    {
      method: 'GET',
      url: '/centre/events',
      summary: '监测中心实时推送 (Server-Sent Events: event alarm / online per enterprise with its badges; id monotonic, Last-Event-ID replays what was missed, reset when too far behind)',
      tag: 'centre',
      access: 'centre.read',
      query: z.strictObject({ lastEventId: z.coerce.number().int().nonnegative().optional() }),
      produces: 'text/event-stream',
    },
    ({ query, req, reply }) => {
      const header = req.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
      reply.hijack();
      deps.metrics.inc('centre_sse_connections');
      centre.liveHub.open(reply.raw, fromHeader ?? query.lastEventId, () => undefined);
    },
  );

  r.add({ method: 'GET', url: '/centre/warnings', summary: '预警跟踪: pending / received / in hand / answered / overdue', tag: 'centre', access: 'centre.read', query: warningsQuery }, ({ query }) => {
    const now = deps.now();
    const list = centre.warnings.list(now, { enterpriseCode: query.enterprise, since: query.since }).filter((w) => query.track === undefined || w.track === query.track);
    return { warnings: list.map(named) };
  });

  r.add({ method: 'POST', url: '/centre/warnings', summary: '人工下发预警', tag: 'centre', access: 'centre.warning.write', body: manualWarning }, ({ body, auth }) => {
    enterpriseOf(body.enterpriseCode);
    const w = centre.issueManual(body, auth.user.name);
    if (!w) throw new ApiError(409, 'warning not opened');
    deps.audit.record({ user: auth.user.name, action: 'centre.warning', target: body.enterpriseCode, detail: `${w.warningId}: ${w.title}` });
    return w;
  });

  const dailyReport = (date: string | undefined) => {
    const now = deps.now();
    const day = dayBounds(date, now);
    const figures = centre.figures.county(Math.min(now, day.to - 1));
    const perEnterprise = centre.figures.alarmsByEnterprise(day.from, day.to);
    const warnings = centre.warnings.list(now, { since: day.from }).filter((w) => w.warning.issuedAt < day.to);
    const rows = centre.figures.statuses(now).map((s) => {
      const a = perEnterprise.get(s.code) ?? { 1: 0, 2: 0, 3: 0, 4: 0 };
      const own = warnings.filter((w) => w.warning.enterpriseCode === s.code);
      return { ...s, alarms: a, warnings: own.length, warningsOpen: own.filter((w) => w.status !== 'answered').length };
    });
    return { date: day.date, issuer: centre.issuer, figures, rows, warnings, centresBelow: centresBelow(day.from, now) };
  };

  /**
   * The centres below (a city's counties, a province's cities) in the daily report: each one's latest
   * summary and the tier totals, as on the 下级中心 page. Summaries are kept as the latest only, not per
   * day, so a report of an earlier day says it has none (`omitted`) rather than show today's.
   * Undefined at a centre with no centres below (a county).
   */
  const centresBelow = (dayFrom: number, now: number): CentresBelow => {
    if (centre.register.centres().length === 0) return undefined;
    if (dayFrom !== startOfDayCst(now)) return { omitted: '下级中心汇总只保留最新一份，往日日报不含下级中心' };
    const t = centre.tier.figures(now);
    const total = { enterprises: t.enterprises, obliged: t.obliged, connected: t.connected, online: t.online, connectionRate: t.connectionRate, onlineRate: t.onlineRate, pointOnlineRate: t.pointOnlineRate, alarmsToday: t.alarmsToday, hiddenDangersOpen: t.hiddenDangersOpen, hiddenDangersOverdue: t.hiddenDangersOverdue };
    return { at: now, total, perCentre: t.perCentre, stale: t.stale };
  };

  r.add({ method: 'GET', url: '/centre/report/daily', summary: '日报 (JSON, for the printable page)', tag: 'centre', access: 'centre.read', query: reportQuery }, ({ query }) => dailyReport(query.date));

  r.add({ method: 'GET', url: '/centre/report/daily.csv', summary: '日报 CSV (UTF-8 with BOM)', tag: 'centre', access: 'centre.read', query: reportQuery, produces: 'text/csv' }, ({ query, reply }) => {
    const rep = dailyReport(query.date);
    const pct = (x: number | null) => (x === null ? '' : `${(x * 100).toFixed(1)}%`);
    const f = rep.figures;
    const parts = [
      '\uFEFF' + csvLine([`${rep.issuer} 监测日报`, rep.date]),
      csvLine(['企业数', f.enterprises, '应接入', f.obliged, '已接入', f.connected, '在线', f.online, '联网率', pct(f.connectionRate), '在线率', pct(f.onlineRate)]),
      csvLine(['当日报警', `红 ${f.alarmsToday[4]}`, `橙 ${f.alarmsToday[3]}`, `黄 ${f.alarmsToday[2]}`, `蓝 ${f.alarmsToday[1]}`]),
      csvLine([]),
      csvLine(['统一社会信用代码', '企业名称', '乡镇街道', '行业', '等级', '在线', '最后数据时间', '红色报警', '橙色报警', '黄色报警', '蓝色报警', '当日预警', '未反馈预警', '未整改隐患', '逾期隐患']),
      ...rep.rows.map((r) =>
        csvLine([r.code, r.name, r.town, INDUSTRIES[r.industry as keyof typeof INDUSTRIES] ?? r.industry, r.grade, r.online ? '在线' : '离线', r.lastDataTime === undefined ? '' : cst(r.lastDataTime), r.alarms[4], r.alarms[3], r.alarms[2], r.alarms[1], r.warnings, r.warningsOpen, r.hiddenDangersOpen, r.hiddenDangersOverdue]),
      ),
      ...centresBelowCsv(rep.centresBelow),
      csvLine([]),
      csvLine(['预警编号', '企业', '类型', '级别', '下发时间', '跟踪状态', '反馈']),
      ...rep.warnings.map((w) => csvLine([w.warning.warningId, centre.register.get(w.warning.enterpriseCode)?.name ?? w.warning.enterpriseCode, WARNING_KIND_NAMES[w.warning.kind], w.warning.level, cst(w.warning.issuedAt), WARNING_TRACK_NAMES[w.track], w.feedback?.content ?? ''])),
    ];
    return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="centre-daily-${rep.date}.csv"`).send(parts.join(''));
  });
}

/** The counts of a centre below or of the tier, as the daily report shows them. */
type BelowCounts = Pick<SummaryCentre, 'enterprises' | 'obliged' | 'connected' | 'online' | 'connectionRate' | 'onlineRate' | 'pointOnlineRate' | 'alarmsToday' | 'hiddenDangersOpen' | 'hiddenDangersOverdue'>;
type CentresBelow = { omitted: string } | { at: number; total: BelowCounts; perCentre: SummaryCentre[]; stale: { centres: StaleCentre[]; enterprises: number } } | undefined;

/** The daily report's CSV section of the centres below: one row each (latest summary) and the tier totals. */
function centresBelowCsv(below: CentresBelow): string[] {
  if (!below) return [];
  if ('omitted' in below) return [csvLine([]), csvLine(['下级监测中心', below.omitted])];
  const pct = (x: number | null) => (x === null ? '' : `${(x * 100).toFixed(1)}%`);
  const counts = (c: BelowCounts) => [c.enterprises, c.obliged, c.connected, c.online, pct(c.connectionRate), pct(c.onlineRate), pct(c.pointOnlineRate), c.alarmsToday[4], c.alarmsToday[3], c.alarmsToday[2], c.alarmsToday[1], c.hiddenDangersOpen, c.hiddenDangersOverdue];
  return [
    csvLine([]),
    csvLine(['下级监测中心', `最新汇总，截至 ${cst(below.at)}`]),
    csvLine(['统一社会信用代码', '名称', '级别', '行政区划代码', '链路', '汇总时间', '企业数', '应接入', '已接入', '在线', '联网率', '在线率', '测点在线率', '红色报警', '橙色报警', '黄色报警', '蓝色报警', '未整改隐患', '逾期隐患']),
    ...below.perCentre.map((c) => csvLine([c.code, c.name, CENTRE_LEVELS[c.level], c.regionCode, c.linkOnline ? '在线' : '离线', c.stale ? `超时未报${c.at === null ? '' : `（${cst(c.at)}）`}` : cst(c.at!), ...counts(c)])),
    csvLine(['合计', '本级直管企业与未超时的下级中心', '', '', '', '', ...counts(below.total)]),
    ...(below.stale.centres.length > 0 ? [csvLine(['未计入合计（超时未报）', below.stale.centres.map((c) => c.name).join('；'), `企业 ${below.stale.enterprises}`])] : []),
  ];
}

function cst(ts: number): string {
  return new Date(ts + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}
