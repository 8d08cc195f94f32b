import { untrustedText } from '../../core/untrusted-text.js';
import { z } from 'zod';
import { computeAlarmKpis } from '../../alarms/kpi.js';
import type { ApiDeps } from './deps.js';
import { csvHeader, csvRow } from './journal-query.js';
import { ApiError, type ApiRouter } from './route.js';
import { auditQuery, journalCsvQuery, journalQuery, kpiQuery, pointIdParams, pointsQuery, trendQuery } from './schemas.js';
import type { SseHub } from './sse.js';

const DAY = 86_400_000;
/** Rows a CSV export holds at most (a year of a busy plant); narrow the filters for more. */
const CSV_MAX_ROWS = 200_000;

function journalOf(deps: ApiDeps) {
  if (!deps.journal) throw new ApiError(503, '报警日志不可用 [the alarm journal is not stored in SQLite in this run]');
  return deps.journal;
}

function qualityClass(q: string | undefined): 'good' | 'uncertain' | 'bad' | 'none' {
  if (!q) return 'none';
  return q.startsWith('Good') ? 'good' : q.startsWith('Uncertain') ? 'uncertain' : 'bad';
}

export function dataRoutes(r: ApiRouter, deps: ApiDeps, hub: SseHub): void {
  r.add({ method: 'GET', url: '/journal', summary: '报警日志: events newest first, keyset-paginated on seq (pass next as before)', tag: 'journal', access: 'journal.read', query: journalQuery }, ({ query }) => {
    const events = journalOf(deps).events(query);
    return { events, next: events.length === query.limit ? events[events.length - 1]!.seq : null };
  });

  r.add({ method: 'GET', url: '/journal.csv', summary: '报警日志 CSV 导出 (UTF-8 with BOM, times in UTC+8)', tag: 'journal', access: 'journal.read', query: journalCsvQuery, produces: 'text/csv' }, ({ query, reply }) => {
    const journal = journalOf(deps);
    const parts: string[] = [csvHeader()];
    let before: number | undefined;
    let rows = 0;
    for (;;) {
      const page = journal.events({ ...query, before, limit: 5000 });
      for (const e of page) parts.push(csvRow(e));
      rows += page.length;
      if (page.length < 5000 || rows >= CSV_MAX_ROWS) break;
      before = page[page.length - 1]!.seq;
    }
    const name = `alarm-journal-${deps.gatewayId}-${new Date(deps.now()).toISOString().slice(0, 10)}.csv`;
    return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="${name}"`).send(parts.join(''));
  });

  r.add({ method: 'GET', url: '/events', summary: '实时推送 (Server-Sent Events; id = journal seq; Last-Event-ID replays what was missed)', tag: 'live', access: 'alarms.read', query: z.strictObject({ lastEventId: z.coerce.number().int().nonnegative().optional() }), produces: 'text/event-stream' }, ({ query, req, reply }) => {
    const header = req.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    reply.hijack();
    deps.metrics.inc('api_sse_connections');
    hub.open(reply.raw, fromHeader ?? query.lastEventId, () => undefined);
  });

  r.add({ method: 'GET', url: '/points', summary: '测点一览: current value, quality and time of every point', tag: 'points', access: 'points.read', query: pointsQuery }, ({ query }) => {
    const text = query.text?.toLowerCase();
    const points = [...deps.points.values()]
      .filter((p) => (!query.area || p.area === query.area) && (!text || p.id.toLowerCase().includes(text) || p.name.toLowerCase().includes(text) || (p.equipment ?? '').toLowerCase().includes(text)))
      .map((p) => {
        const v = deps.points.latest(p.id);
        return {
          id: p.id,
          name: p.name,
          unit: p.unit,
          equipment: p.equipment ?? null,
          area: p.area,
          device: p.device,
          range: p.range ?? null,
          value: v?.value ?? null,
          quality: v?.quality ?? null,
          ts: v?.ts ?? null,
          reason: v?.reason ?? null,
          qualityClass: qualityClass(v?.quality),
        };
      })
      .filter((p) => !query.quality || p.qualityClass === query.quality)
      .sort((a, b) => a.area.localeCompare(b.area) || a.id.localeCompare(b.id));
    return { points };
  });

  r.add(
    { method: 'GET', url: '/points/:id/trend', summary: '趋势: a point over a time range (default the last hour) from InfluxDB / VictoriaMetrics when configured, else (or when it fails) the local history; with its alarm limits', tag: 'points', access: 'points.read', params: pointIdParams, query: trendQuery },
    async ({ params, query }) => {
      const p = deps.points.get(params.id);
      if (!p) throw new ApiError(404, `没有该测点 [unknown point] "${params.id}"`, 'params.id');
      const to = query.to ?? deps.now();
      const from = query.from ?? to - 3_600_000;
      if (to - from > 400 * DAY) throw new ApiError(400, 'a trend spans at most 400 days', 'query.from');
      const limits = deps.alarms
        .list()
        .filter((a) => a.point === p.id && a.limit !== undefined)
        .map((a) => ({ alarmId: a.alarmId, condition: a.condition, limit: a.limit!, severity: a.severity }));
      const point = { id: p.id, name: p.name, unit: p.unit, area: p.area, equipment: p.equipment ?? null, range: p.range ?? null };
      let fallback: string | undefined;
      if (deps.trends) {
        try {
          const samples = await deps.trends.trend(p.id, from, to, query.maxPoints);
          return { point, from, to, source: deps.trends.name, limits, samples };
        } catch (err) {
          // The time-series store is down or refuses: the console still draws the local history.
          fallback = (err as Error).message;
          deps.metrics.inc('api_trend_fallbacks');
          deps.log.warn(`趋势查询失败，改用本地历史 [trend query failed, local history used]: ${untrustedText(fallback)}`);
        }
      }
      const history = deps.history();
      return { point, from, to, source: history ? 'local' : 'none', limits, samples: history?.trend(p.id, from, to, query.maxPoints) ?? [], ...(fallback !== undefined ? { fallback } : {}) };
    },
  );

  r.add({ method: 'GET', url: '/kpi', summary: '报警系统绩效 (ISA-18.2 / EEMUA 191) over [from, to), default the last 24 h', tag: 'kpi', access: 'kpi.read', query: kpiQuery }, ({ query }) => {
    const to = query.to ?? deps.now();
    const from = query.from ?? to - DAY;
    if (from >= to) throw new ApiError(400, 'from must be before to', 'query.from');
    if (to - from > 400 * DAY) throw new ApiError(400, 'a KPI period spans at most 400 days', 'query.from');
    const events = journalOf(deps).kpiEvents(from, to);
    return computeAlarmKpis(events, { from, to, areaOf: (point) => deps.points.get(point)?.area ?? 'gateway', flood: deps.floodOptions });
  });

  r.add({ method: 'GET', url: '/audit', summary: '审计日志: operator actions on alarms (newest first; pass next as before)', tag: 'audit', access: 'audit.read', query: auditQuery }, ({ query }) => {
    const entries = journalOf(deps).audit(query);
    return { entries, next: entries.length === query.limit ? entries[entries.length - 1]!.id : null };
  });

  r.add({ method: 'GET', url: '/audit/security', summary: '安全审计: logins, refused logins, user and token changes', tag: 'audit', access: 'audit.read', query: auditQuery.omit({ alarmId: true }) }, ({ query }) => {
    const entries = deps.audit.list(query);
    return { entries, next: entries.length === query.limit ? entries[entries.length - 1]!.id : null };
  });

  r.add({ method: 'GET', url: '/health', summary: '健康检查 (no login)', tag: 'health', access: 'public' }, () => ({ status: 'ok', gateway: deps.gatewayId, time: deps.now(), liveClients: hub.size }));
}
