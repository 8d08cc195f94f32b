import { z } from 'zod';
import type { TrendSample } from '../../services/history/history-store.js';
import type { InfluxSection } from './config.js';

/** Where the console's trends come from when InfluxDB (or VictoriaMetrics) is configured. */
export interface TrendSource {
  /** 'influxdb' or 'victoriametrics', as the API reports it. */
  readonly name: string;
  trend(point: string, from: number, to: number, maxPoints: number): Promise<TrendSample[]>;
}

/** Longest a trend query may take before the API falls back to the local history. */
const QUERY_TIMEOUT_MS = 5000;

/** An InfluxQL string literal. */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** An InfluxQL identifier. */
const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const influxQlResponse = z.object({
  results: z.array(
    z.object({
      error: z.string().optional(),
      series: z.array(z.object({ columns: z.array(z.string()), values: z.array(z.array(z.union([z.number(), z.string(), z.null()]))) })).optional(),
    }),
  ),
  error: z.string().optional(),
});

const promResponse = z.object({
  status: z.string(),
  error: z.string().optional(),
  data: z.object({ result: z.array(z.object({ values: z.array(z.tuple([z.number(), z.string()])) })) }).optional(),
});

function bucketMs(from: number, to: number, maxPoints: number): number {
  return Math.max(1, Math.ceil((to - from) / maxPoints));
}

async function getJson(url: string, headers: Record<string, string>, what: string): Promise<unknown> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what}: the answer is not JSON`);
  }
}

/**
 * Trends by InfluxQL over `/query`: InfluxDB 1.x natively, 2.x and 3.x through their v1-compatible
 * endpoint (a DBRP mapping for the bucket), as the dashboards query. Bucket means with the extremes,
 * and a bucket is bad when its worst quality_level is 2 (Bad), as the local history answers.
 */
export class InfluxQlTrendSource implements TrendSource {
  readonly name = 'influxdb';

  constructor(
    private readonly cfg: InfluxSection,
    private readonly site: string,
  ) {}

  async trend(point: string, from: number, to: number, maxPoints: number): Promise<TrendSample[]> {
    const cfg = this.cfg;
    const measurement = cfg.api === 'v1' && cfg.retentionPolicy ? `${ident(cfg.retentionPolicy)}.${ident(cfg.measurement)}` : ident(cfg.measurement);
    const q =
      `SELECT mean("value") AS "value", min("value") AS "min", max("value") AS "max", max("quality_level") AS "ql" FROM ${measurement} ` +
      `WHERE "point" = ${literal(point)} AND "site" = ${literal(this.site)} AND time >= ${Math.floor(from)}ms AND time < ${Math.ceil(to)}ms ` +
      `GROUP BY time(${bucketMs(from, to, maxPoints)}ms) fill(none)`;
    const params = new URLSearchParams({ q, epoch: 'ms', db: cfg.api === 'v1' ? cfg.database : cfg.bucket });
    const headers: Record<string, string> = {};
    if (cfg.api === 'v1') {
      if (cfg.retentionPolicy) params.set('rp', cfg.retentionPolicy);
      if (cfg.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
    } else if (cfg.token) headers.authorization = `Token ${cfg.token}`;
    const body = influxQlResponse.parse(await getJson(`${cfg.url.replace(/\/$/, '')}/query?${params}`, headers, 'InfluxDB trend query'));
    const result = body.results[0];
    const error = body.error ?? result?.error;
    if (error) throw new Error(`InfluxDB trend query: ${error}`);
    const series = result?.series?.[0];
    if (!series) return [];
    const col = (name: string) => series.columns.indexOf(name);
    const [t, v, mn, mx, ql] = [col('time'), col('value'), col('min'), col('max'), col('ql')];
    const num = (x: unknown) => (typeof x === 'number' ? x : null);
    return series.values.map((row) => ({ ts: Number(row[t]), value: num(row[v]), min: num(row[mn]), max: num(row[mx]), bad: num(row[ql]) === 2 }));
  }
}

/**
 * Trends from VictoriaMetrics by its Prometheus query API: the v2 writes land as
 * `<measurement>_value` and `<measurement>_quality_level` with the site and point labels.
 */
export class PromQlTrendSource implements TrendSource {
  readonly name = 'victoriametrics';

  constructor(
    private readonly cfg: InfluxSection,
    private readonly site: string,
  ) {}

  private async series(fn: string, metric: string, point: string, from: number, to: number, step: number): Promise<Map<number, number>> {
    const selector = `${metric}{point=${JSON.stringify(point)},site=${JSON.stringify(this.site)}}`;
    // `offset 1ms`: the value at t covers [t - step, t), as an InfluxQL bucket does (PromQL's is (t - step, t]).
    const params = new URLSearchParams({ query: `${fn}(${selector}[${step}ms] offset 1ms)`, start: String(from / 1000), end: String(to / 1000), step: `${step}ms` });
    const body = promResponse.parse(await getJson(`${this.cfg.url.replace(/\/$/, '')}/api/v1/query_range?${params}`, {}, 'VictoriaMetrics trend query'));
    if (body.status !== 'success') throw new Error(`VictoriaMetrics trend query: ${body.error ?? body.status}`);
    const out = new Map<number, number>();
    for (const [t, v] of body.data?.result[0]?.values ?? []) out.set(Math.round(t * 1000), Number(v));
    return out;
  }

  async trend(point: string, from: number, to: number, maxPoints: number): Promise<TrendSample[]> {
    const step = bucketMs(from, to, maxPoints);
    const m = this.cfg.measurement;
    // Each sample covers the step before its time: the mean, extremes and worst quality of that window.
    const [mean, min, max, ql] = await Promise.all([
      this.series('avg_over_time', `${m}_value`, point, from + step, to, step),
      this.series('min_over_time', `${m}_value`, point, from + step, to, step),
      this.series('max_over_time', `${m}_value`, point, from + step, to, step),
      this.series('max_over_time', `${m}_quality_level`, point, from + step, to, step),
    ]);
    return [...mean.entries()].map(([ts, value]) => ({ ts: ts - step, value, min: min.get(ts) ?? value, max: max.get(ts) ?? value, bad: ql.get(ts) === 2 }));
  }
}

/** The trend source the influx config asks for, or undefined (trends: off, or the sink disabled). */
export function influxTrendSource(cfg: InfluxSection | undefined, gatewayId: string): TrendSource | undefined {
  if (!cfg || !cfg.enabled || cfg.trends === 'off') return undefined;
  const site = cfg.site ?? gatewayId;
  return cfg.trends === 'promql' ? new PromQlTrendSource(cfg, site) : new InfluxQlTrendSource(cfg, site);
}
