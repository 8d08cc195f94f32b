import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Metrics } from '../../gateway/core/metrics.js';
import { PrometheusExporter, promName } from '../../gateway/services/http/prometheus.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { DATASOURCE_DIR, dashboardFilesUsing, readYaml } from './grafana.js';

/**
 * What the tests of the Prometheus dashboards (gateway-metrics.json) need: the datasource and scrape
 * config files, the dashboard schema, the PromQL of every target and variable, Grafana's variable
 * interpolation, and the metric names the gateway exports, read off its source and prom-client.
 */

export const PROMETHEUS_DATASOURCE_FILE = join(DATASOURCE_DIR, 'prometheus.yaml');
export const SCRAPE_CONFIG_FILE = join(REPO_ROOT, 'dashboards', 'prometheus', 'prometheus.yml');

export const prometheusDatasourceProvisioningSchema = z.object({
  apiVersion: z.literal(1),
  datasources: z
    .array(
      z
        .object({
          name: z.string().min(1),
          uid: z.string().min(1),
          type: z.literal('prometheus'),
          access: z.literal('proxy'),
          url: z.string().url(),
          jsonData: z.object({ timeInterval: z.string().regex(/^\d+[smh]$/), httpMethod: z.enum(['GET', 'POST']) }).passthrough(),
        })
        .passthrough(),
    )
    .length(1),
});

export function provisionedPrometheus(): z.infer<typeof prometheusDatasourceProvisioningSchema>['datasources'][number] {
  return prometheusDatasourceProvisioningSchema.parse(readYaml(PROMETHEUS_DATASOURCE_FILE)).datasources[0]!;
}

export const scrapeConfigSchema = z
  .object({
    global: z.object({ scrape_interval: z.string(), scrape_timeout: z.string().optional(), evaluation_interval: z.string().optional() }).passthrough(),
    scrape_configs: z
      .array(
        z
          .object({
            job_name: z.string().min(1),
            metrics_path: z.string().default('/metrics'),
            scheme: z.enum(['http', 'https']).default('http'),
            static_configs: z.array(z.object({ targets: z.array(z.string()).min(1) }).passthrough()).min(1),
          })
          .passthrough(),
      )
      .min(1),
  })
  .passthrough();
export type ScrapeConfig = z.infer<typeof scrapeConfigSchema>;

export function scrapeConfig(): ScrapeConfig {
  return scrapeConfigSchema.parse(readYaml(SCRAPE_CONFIG_FILE));
}

// ---------------------------------------------------------------- dashboard

const datasourceRef = z.object({ type: z.literal('prometheus'), uid: z.string() });

const promTargetSchema = z.object({ refId: z.string(), datasource: datasourceRef, expr: z.string().min(1), legendFormat: z.string() }).passthrough();

const promPanelSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    title: z.string().min(1),
    description: z.string().min(1),
    datasource: datasourceRef,
    targets: z.array(promTargetSchema).min(1),
    fieldConfig: z.object({ defaults: z.object({ unit: z.string() }).passthrough(), overrides: z.array(z.unknown()) }),
  })
  .passthrough();
export type PromPanel = z.infer<typeof promPanelSchema>;

/** `label_values(<selector>, <label>)`: Grafana's Prometheus variable query. */
const LABEL_VALUES = /^label_values\((.+),\s*(\w+)\)$/;

const promVariableSchema = z
  .object({ name: z.string().regex(/^\w+$/), type: z.literal('query'), datasource: datasourceRef, query: z.string().regex(LABEL_VALUES), multi: z.boolean(), includeAll: z.boolean(), allValue: z.string().optional() })
  .passthrough();

export const promDashboardSchema = z
  .object({
    uid: z.string().min(1).max(40),
    title: z.string().min(1),
    panels: z.array(promPanelSchema).min(1),
    templating: z.object({ list: z.array(promVariableSchema) }),
  })
  .passthrough();
export type PromDashboard = z.infer<typeof promDashboardSchema>;

export interface PromDashboardFile {
  file: string;
  dashboard: PromDashboard;
}

/** Every dashboard on the provisioned Prometheus datasource, parsed with the schema above. */
export function loadPrometheusDashboards(): PromDashboardFile[] {
  return dashboardFilesUsing(provisionedPrometheus().uid).map(({ file, raw }) => {
    const parsed = promDashboardSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return { file, dashboard: parsed.data };
  });
}

export interface PromQuery {
  /** `gateway-metrics.json panel "Modbus 轮询速率" (A)`, for messages. */
  where: string;
  panel: string;
  expr: string;
  legend: string;
}

export function promQueriesOf(f: PromDashboardFile): PromQuery[] {
  return f.dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `${f.file} panel "${p.title}" (${t.refId})`, panel: p.title, expr: t.expr, legend: t.legendFormat })));
}

export function labelValuesQuery(query: string): { selector: string; label: string } {
  const m = LABEL_VALUES.exec(query);
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return { selector: m[1]!.trim(), label: m[2]! };
}

/** Grafana's own variables a Prometheus query may use. */
export const GRAFANA_PROM_BUILTINS = new Set(['__rate_interval', '__interval', '__interval_ms', '__range', '__range_s', '__range_ms']);

/** Metric names in selectors (`name{…}`); every selector in these dashboards carries the $job / $instance matchers. */
export function metricNamesOf(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);
}

/** Metric names passed straight to rate() / increase(): they must be counters (or histogram buckets). */
export function ratedMetricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1]!);
}

/** Grafana's escaping of a value for a regex matcher (prometheusRegularEscape), as sent in the query text. */
export function grafanaRegexEscape(v: string): string {
  return v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/**
 * Grafana's interpolation of a Prometheus query: multi-value variables become escaped regex
 * alternatives, All becomes the variable's allValue.
 */
export function interpolatePromQL(expr: string, vars: Readonly<Record<string, readonly string[] | 'All'>>, builtins: Readonly<Record<string, string>>, allValue = '.*'): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name in builtins) return builtins[name]!;
    const v = vars[name];
    if (v === undefined) return m;
    if (v === 'All') return allValue;
    return v.length === 1 ? grafanaRegexEscape(v[0]!) : `(${v.map(grafanaRegexEscape).join('|')})`;
  });
}

// ---------------------------------------------------------------- what the gateway exports

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every metric name the gateway can export: its own counters, gauges and histograms (the names its
 * source records through `metrics.inc/set/observe`, renamed as /metrics renames them) and prom-client's
 * process metrics (rendered by the exporter itself).
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  // inc/set/observe, and the series handles hot paths keep (counterSeries …).
  const kind = { inc: 'counter', set: 'gauge', observe: 'histogram', counterSeries: 'counter', gaugeSeries: 'gauge', histogramSeries: 'histogram' } as const;
  for (const dir of ['gateway', 'adapters', 'rules']) {
    for (const file of sourceFiles(join(REPO_ROOT, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:\bmetrics\??|\bm)\.(inc|set|observe|counterSeries|gaugeSeries|histogramSeries)\(\s*'([a-z][a-z0-9_]*)'/g)) {
        const type = kind[m[1] as keyof typeof kind];
        const n = promName(m[2]!, type);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(n + suffix);
        else names.add(n);
      }
    }
  }
  const rendered = await new PrometheusExporter(new Metrics()).render();
  for (const m of rendered.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    if (m[2] === 'histogram' || m[2] === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m[1]! + suffix);
    else names.add(m[1]!);
  }
  return names;
}
