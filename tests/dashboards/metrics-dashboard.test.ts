import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SEVERITY_INFO, type Severity } from '../../gateway/core/alarm-event.js';
import { parseDuration } from '../../gateway/core/duration.js';
import {
  GRAFANA_PROM_BUILTINS,
  SCRAPE_CONFIG_FILE,
  exportedMetricNames,
  labelValuesQuery,
  loadPrometheusDashboards,
  metricNamesOf,
  promQueriesOf,
  provisionedPrometheus,
  ratedMetricsOf,
  scrapeConfig,
} from './prometheus-dashboard.js';
import { variablesOf } from './grafana.js';

/*
 * Static checks of the metrics dashboard (网关运行指标) over Prometheus: JSON shape, datasource,
 * variables, and every metric name against what the gateway exports. The PromQL itself runs against a
 * real Prometheus scraping a real gateway in metrics-dashboard-queries.test.ts.
 */

const dashboards = loadPrometheusDashboards();
const metrics = dashboards.find((d) => d.file === 'gateway-metrics.json')!;
const allQueries = dashboards.flatMap(promQueriesOf);
const datasource = provisionedPrometheus();

describe('Prometheus dashboards (static checks)', () => {
  it('static: the metrics dashboard is on the provisioned Prometheus datasource uid gw-prometheus, with a Chinese-first title', () => {
    expect(metrics, 'gateway-metrics.json').toBeDefined();
    expect(datasource.uid).toBe('gw-prometheus');
    expect(metrics.dashboard.title).toMatch(/^网关运行指标/);
    for (const p of metrics.dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe(datasource.uid);
      for (const t of p.targets) expect(t.datasource.uid, `${p.title} ${t.refId}`).toBe(datasource.uid);
    }
    for (const v of metrics.dashboard.templating.list) expect(v.datasource.uid, v.name).toBe(datasource.uid);
  });

  it('static: the datasource reads the compose prometheus service, at the scrape interval of the committed scrape config', () => {
    const url = new URL(datasource.url);
    expect([url.hostname, url.port]).toEqual(['prometheus', '9090']);
    // $__rate_interval is at least four times timeInterval; it must be the real scrape interval.
    expect(parseDuration(datasource.jsonData.timeInterval)).toBe(parseDuration(scrapeConfig().global.scrape_interval));
  });

  it('static: promtool accepts the committed scrape config, which scrapes the gateway service on its HTTP port', () => {
    const out = execFileSync('promtool', ['check', 'config', SCRAPE_CONFIG_FILE], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    const job = scrapeConfig().scrape_configs[0]!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs[0]!.targets).toEqual(['gateway:8080']);
  });

  it('static: $job and $instance come from label_values of a series every gateway exports; every query filters on both', async () => {
    const exported = await exportedMetricNames();
    const vars = metrics.dashboard.templating.list;
    expect(vars.map((v) => v.name)).toEqual(['job', 'instance']);
    for (const v of vars) {
      const { selector, label } = labelValuesQuery(v.query);
      expect(label).toBe(v.name);
      for (const name of metricNamesOf(selector.endsWith('}') ? selector : `${selector}{`)) expect(exported.has(name), `${v.name}: ${name}`).toBe(true);
      expect(v.multi && v.includeAll, v.name).toBe(true);
      expect(v.allValue).toBe('.*');
    }
    expect(vars[1]!.query).toContain('job=~"$job"');
    for (const q of allQueries) {
      const names = metricNamesOf(q.expr);
      expect(names.length, `${q.where}: no selector`).toBeGreaterThan(0);
      // Each selector carries both matchers, so every series of the panel follows the variables.
      const selectors = [...q.expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\{([^}]*)\}/g)].map((m) => m[1]!);
      for (const s of selectors) expect(s, q.where).toBe('job=~"$job",instance=~"$instance"');
    }
  });

  it('static: every variable a query uses is defined or a Grafana built-in, and every defined variable is used', () => {
    for (const f of dashboards) {
      const defined = new Set(f.dashboard.templating.list.map((v) => v.name));
      const used = new Set<string>();
      for (const text of [...promQueriesOf(f).map((q) => q.expr), ...f.dashboard.templating.list.map((v) => v.query)]) {
        for (const name of variablesOf(text)) {
          used.add(name);
          expect(defined.has(name) || GRAFANA_PROM_BUILTINS.has(name), `${f.file}: $${name} is not defined`).toBe(true);
        }
      }
      for (const name of defined) expect(used.has(name), `${f.file}: $${name} is defined but no query uses it`).toBe(true);
    }
  });

  it('static: every metric a query names is one the gateway exports (its source or prom-client), or up', async () => {
    const exported = await exportedMetricNames();
    // The exporter's renaming is what the dashboard is written against.
    expect(exported).toContain('gateway_modbus_requests_total');
    expect(exported).toContain('gateway_journal_commit_duration_seconds_bucket');
    expect(exported).toContain('gateway_process_resident_memory_bytes');
    for (const q of allQueries) for (const name of metricNamesOf(q.expr)) expect(name === 'up' || exported.has(name), `${q.where}: ${name} is not exported by the gateway`).toBe(true);
  });

  it('static: rate() only over counters and histogram buckets, histogram_quantile keeps le, quantile panels are in seconds', () => {
    let rated = 0;
    for (const q of allQueries) {
      for (const name of ratedMetricsOf(q.expr)) {
        rated++;
        expect(name, `${q.where}: rate() over a gauge`).toMatch(/(_total|_bucket)$/);
      }
      if (q.expr.includes('histogram_quantile')) {
        expect(q.expr, q.where).toMatch(/sum by \([^)]*\ble\b[^)]*\) \(rate\(\w+_bucket\{/);
        const panel = metrics.dashboard.panels.find((p) => p.title === q.panel)!;
        expect(panel.fieldConfig.defaults.unit, q.where).toBe('s');
      }
      // Counters are never shown raw: a restart resets them.
      for (const name of metricNamesOf(q.expr)) if (name.endsWith('_total')) expect(ratedMetricsOf(q.expr), `${q.where}: ${name} without rate()`).toContain(name);
    }
    expect(rated).toBeGreaterThan(15);
  });

  it('static: the dashboard covers what issue 10 lists: polls, errors, round trips, bus, rules, alarms, journal, queues, drops, MQTT, CPU, memory, event loop, HTTP', () => {
    const used = new Set(allQueries.filter((q) => q.where.startsWith('gateway-metrics.json')).flatMap((q) => metricNamesOf(q.expr)));
    expect([...used]).toEqual(
      expect.arrayContaining([
        'gateway_modbus_requests_total',
        'gateway_modbus_errors_total',
        'gateway_modbus_request_duration_seconds_bucket',
        'gateway_opcua_readings_total',
        'gateway_bus_readings_total',
        'gateway_rule_evaluations_total',
        'gateway_alarm_events_total',
        'gateway_journal_commit_duration_seconds_bucket',
        'gateway_influx_queue_lines',
        'gateway_influx_queue_oldest_age_seconds',
        'gateway_uplink_queue_messages',
        'gateway_uplink_queue_oldest_age_seconds',
        'gateway_influx_lines_dropped_total',
        'gateway_mqtt_readings_dropped_total',
        'gateway_mqtt_clients_connected',
        'gateway_process_cpu_seconds_total',
        'gateway_process_resident_memory_bytes',
        'gateway_nodejs_eventloop_lag_p99_seconds',
        'gateway_http_request_duration_seconds_bucket',
      ]),
    );
  });

  it('static: alarm events are coloured and named by severity as on the alarm wall (4 red 重大 … 1 blue 低)', () => {
    const panel = metrics.dashboard.panels.find((p) => p.targets.some((t) => t.expr.includes('gateway_alarm_events_total')))!;
    expect(panel.targets[0]!.expr).toMatch(/sum by \(severity\)/);
    expect(panel.targets[0]!.legendFormat).toBe('等级 {{severity}}');
    const overrides = panel.fieldConfig.overrides as { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
    expect(overrides.length).toBe(4);
    for (const level of [1, 2, 3, 4] as Severity[]) {
      const o = overrides.find((x) => x.matcher.options === `等级 ${level}`);
      expect(o, `override for 等级 ${level}`).toBeDefined();
      expect(o!.properties).toEqual(
        expect.arrayContaining([
          { id: 'displayName', value: `${SEVERITY_INFO[level].zh} (${level})` },
          { id: 'color', value: { mode: 'fixed', fixedColor: SEVERITY_INFO[level].colour } },
        ]),
      );
    }
  });
});
