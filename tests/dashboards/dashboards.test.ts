import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_STATES, SEVERITY_INFO, type Severity } from '../../gateway/core/alarm-event.js';
import {
  DASHBOARD_DIR,
  GRAFANA_BUILTIN_VARIABLES,
  PROVIDER_FILE,
  aggregatedKeysOf,
  aliasesOf,
  comparedValues,
  dashboardFiles,
  dashboardFilesUsing,
  defaultMeasurements,
  groupByKeysOf,
  identifiersOf,
  loadDashboards,
  measurementsOf,
  parseCommon,
  providerProvisioningSchema,
  provisionedDatasource,
  provisionedDatasources,
  queriesOf,
  readDashboardFiles,
  readYaml,
  showTagKeysOf,
  sinkSchema,
  variablesOf,
  type Panel,
} from './grafana.js';

/** Every dashboard file, whatever its datasource (identity and layout checks). */
const everyDashboard = readDashboardFiles().map((f) => ({ file: f.file, dashboard: parseCommon(f) }));
/** The InfluxQL dashboards (they name the InfluxDB datasource): every InfluxQL check below. */
const dashboards = loadDashboards();
const datasource = provisionedDatasource();
const schema = sinkSchema();
const allQueries = dashboards.flatMap(queriesOf);

describe('Grafana dashboards (static checks: JSON and InfluxQL text against the sink schema)', () => {
  it('static: the alarm wall and the plant overview exist, parse, and have unique uids and Chinese-first titles', () => {
    expect(dashboardFiles()).toEqual(expect.arrayContaining(['alarm-wall.json', 'plant-overview.json']));
    expect(everyDashboard.map((d) => d.file)).toEqual(dashboardFiles());
    const uids = everyDashboard.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { dashboard } of everyDashboard) expect(dashboard.title, dashboard.uid).toMatch(/^[\u4e00-\u9fff]/);
  });

  it('static: every dashboard refers to exactly one datasource, a provisioned InfluxDB or Prometheus one, so each gets its query checks', () => {
    const provisioned = provisionedDatasources();
    const uids = provisioned.map((d) => d.uid);
    expect(new Set(uids).size, 'provisioned datasource uids must be unique').toBe(uids.length);
    for (const f of readDashboardFiles()) {
      expect(f.datasourceUids.length, `${f.file} refers to ${f.datasourceUids.join(', ') || 'no datasource'}`).toBe(1);
      const ds = provisioned.find((d) => d.uid === f.datasourceUids[0]);
      expect(ds, `${f.file}: datasource ${f.datasourceUids[0]} is not provisioned`).toBeDefined();
      // InfluxQL dashboards: this file and dashboard-queries.test.ts; Prometheus: metrics-dashboard*.test.ts.
      expect(['influxdb', 'prometheus'], `${f.file}: no query checks for datasource type ${ds!.type}`).toContain(ds!.type);
    }
    expect(dashboardFilesUsing(datasource.uid).map((f) => f.file)).toEqual(expect.arrayContaining(['alarm-wall.json', 'plant-overview.json']));
  });

  it('static: the sink schema read off line-protocol.ts is what the dashboards are written against', () => {
    const { reading, alarm } = defaultMeasurements();
    expect([...schema.keys()].sort()).toEqual([alarm, reading].sort());
    // The keys every panel leans on; if the sink renames one, these dashboards are broken.
    expect([...schema.get(reading)!.tags]).toEqual(expect.arrayContaining(['site', 'equipment', 'point']));
    expect([...schema.get(reading)!.fields]).toEqual(expect.arrayContaining(['value', 'quality', 'quality_level']));
    expect([...schema.get(alarm)!.tags]).toEqual(expect.arrayContaining(['alarm_id', 'severity', 'state', 'point', 'site']));
  });

  it('static: every panel, target, annotation and variable uses the provisioned InfluxDB datasource uid', () => {
    expect(datasource.uid).toBe('gw-influx');
    for (const f of dashboards) {
      for (const p of f.dashboard.panels) expect(p.datasource.uid, `${f.file} panel "${p.title}"`).toBe(datasource.uid);
    }
    for (const q of allQueries) expect(q.datasourceUid, q.where).toBe(datasource.uid);
  });

  it('static: annotations mark alarm raises with the message as text, the same in the current and the pre-10 form', () => {
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.annotations.list.length, file).toBe(4);
      for (const a of dashboard.annotations.list) {
        expect([a.query, a.textColumn, a.tagsColumn], `${file} ${a.name}`).toEqual([a.target.query, a.target.textColumn, a.target.tagsColumn]);
        expect(comparedValues(a.target.query, 'state')).toEqual(['UNACK']);
        for (const column of [a.target.textColumn, ...a.target.tagsColumn.split(',')]) expect(identifiersOf(a.target.query), `${file} ${a.name}`).toContain(column);
      }
    }
  });

  it('static: panels have unique ids, fit the 24-column grid and do not overlap', () => {
    const overlaps = (a: Panel['gridPos'], b: Panel['gridPos']) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const { file, dashboard } of everyDashboard) {
      const ids = dashboard.panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, `${file} "${p.title}"`).toBeLessThanOrEqual(24);
      dashboard.panels.forEach((a, i) =>
        dashboard.panels.slice(i + 1).forEach((b) => expect(overlaps(a.gridPos, b.gridPos), `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false)),
      );
    }
  });

  it('static: every InfluxQL query reads a measurement the sink writes, and names only its tags, fields or aliases', () => {
    for (const q of allQueries) {
      const measurements = measurementsOf(q.query);
      expect(measurements.length, `${q.where}: no FROM "measurement"`).toBeGreaterThan(0);
      const known = new Set<string>(aliasesOf(q.query));
      for (const m of measurements) {
        const s = schema.get(m);
        expect(s, `${q.where}: measurement "${m}" is not written by the sink (known: ${[...schema.keys()].join(', ')})`).toBeDefined();
        known.add(m);
        for (const k of [...s!.tags, ...s!.fields]) known.add(k);
      }
      for (const id of identifiersOf(q.query)) expect(known.has(id), `${q.where}: "${id}" is neither a tag nor a field of ${measurements.join(', ')}`).toBe(true);
    }
  });

  it('static: functions aggregate fields only, GROUP BY and SHOW TAG VALUES use tags only', () => {
    let checked = 0;
    for (const q of allQueries) {
      const s = schema.get(measurementsOf(q.query)[0]!)!;
      const aliases = new Set(aliasesOf(q.query));
      for (const k of aggregatedKeysOf(q.query)) {
        checked++;
        // An outer query may aggregate an inner query's alias.
        expect(s.fields.has(k) || aliases.has(k), `${q.where}: aggregates "${k}", which is not a field`).toBe(true);
      }
      for (const k of [...groupByKeysOf(q.query), ...showTagKeysOf(q.query)]) {
        checked++;
        expect(s.tags.has(k), `${q.where}: groups by / lists "${k}", which is not a tag`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('static: alarm states, severities and quality levels compared in queries are ones the gateway produces', () => {
    let checked = 0;
    for (const q of allQueries) {
      for (const v of comparedValues(q.query, 'state')) {
        checked++;
        expect(ALARM_STATES as readonly string[], `${q.where}: state "${v}"`).toContain(v);
      }
      for (const v of comparedValues(q.query, 'severity')) {
        checked++;
        expect(['1', '2', '3', '4'], `${q.where}: severity "${v}"`).toContain(v);
      }
      for (const v of comparedValues(q.query, 'quality_level')) {
        checked++;
        expect(['0', '1', '2'], `${q.where}: quality_level ${v}`).toContain(v);
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('static: every template variable a query uses is defined, and every defined variable is used', () => {
    for (const f of dashboards) {
      const defined = new Set(f.dashboard.templating.list.map((v) => v.name));
      const used = new Set<string>();
      for (const q of queriesOf(f)) {
        for (const name of variablesOf(q.query)) {
          used.add(name);
          expect(defined.has(name) || GRAFANA_BUILTIN_VARIABLES.has(name), `${q.where}: $${name} is not defined`).toBe(true);
        }
        // Legend aliases: $tag_x needs GROUP BY "x".
        for (const m of (q.alias ?? '').matchAll(/\$tag_(\w+)/g)) expect(groupByKeysOf(q.query), `${q.where}: alias ${m[0]}`).toContain(m[1]);
      }
      for (const name of defined) expect(used.has(name), `${f.file}: $${name} is defined but no query uses it`).toBe(true);
    }
  });

  it('static: panel queries are bounded in time ($timeFilter or time > now() - …), so a panel never scans all history', () => {
    for (const q of allQueries.filter((x) => x.kind !== 'variable')) expect(q.query, q.where).toMatch(/\$timeFilter|time > now\(\) - \d+[smhdw]/);
  });

  it('static: severity colours in tables and stat panels are the design card colours (4 red, 3 orange, 2 yellow, 1 blue)', () => {
    const wall = dashboards.find((d) => d.file === 'alarm-wall.json')!.dashboard;
    let statPanels = 0;
    for (const p of wall.panels.filter((x) => x.type === 'stat')) {
      const sev = comparedValues(p.targets[0]!.query, 'severity');
      if (sev.length !== 1) continue;
      statPanels++;
      const steps = (p.fieldConfig?.defaults as { thresholds: { steps: { color: string }[] } }).thresholds.steps;
      expect(steps.at(-1)!.color, p.title).toBe(SEVERITY_INFO[Number(sev[0]) as Severity].colour);
      expect(p.title).toContain(SEVERITY_INFO[Number(sev[0]) as Severity].zh);
    }
    expect(statPanels).toBe(4);
    // Value mappings of the severity column: text and colour per level.
    const text = JSON.stringify(dashboards.map((d) => d.raw));
    // Severity labels read "重大 (4)"; quality and on/off mappings also use keys 0–2 but no "(n)".
    const mappings = [...text.matchAll(/"([1-4])":\{"text":"([^"]+) \(([1-4])\)","color":"(\w+)"/g)];
    expect(mappings.length).toBe(8); // two tables × four levels
    for (const [, level, label, inLabel, colour] of mappings) {
      const info = SEVERITY_INFO[Number(level) as Severity];
      expect(inLabel).toBe(level);
      expect(label).toBe(info.zh);
      expect(colour).toBe(info.colour);
    }
  });

  it('static: the alarm-rate panel draws the EEMUA 191 lines at 1 and 2 alarms per 10 minutes', () => {
    const wall = dashboards.find((d) => d.file === 'alarm-wall.json')!.dashboard;
    const rate = wall.panels.find((p) => p.type === 'timeseries' && /GROUP BY time\(10m\)/.test(p.targets[0]!.query));
    expect(rate, 'alarm rate panel').toBeDefined();
    const defaults = rate!.fieldConfig!.defaults as { thresholds: { steps: { value: number | null }[] }; custom: { thresholdsStyle: { mode: string } } };
    expect(defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 1, 2]);
    expect(defaults.custom.thresholdsStyle.mode).toMatch(/line/);
  });

  it('static: the CO trend shows peaks (max, not mean) with the 24 / 160 ppm lines', () => {
    const overview = dashboards.find((d) => d.file === 'plant-overview.json')!.dashboard;
    const co = overview.panels.find((p) => /一氧化碳/.test(p.title))!;
    expect(co.targets[0]!.query).toMatch(/^SELECT max\("value"\)/);
    const defaults = co.fieldConfig!.defaults as { unit: string; thresholds: { steps: { value: number | null }[] } };
    expect(defaults.unit).toBe('ppm');
    expect(defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 24, 160]);
  });

  it('static: the dashboard provider loads the folder these files are in', () => {
    const provider = providerProvisioningSchema.parse(readYaml(PROVIDER_FILE)).providers[0]!;
    expect(provider.options.path).toMatch(/^\//);
    expect(existsSync(join(DASHBOARD_DIR, 'alarm-wall.json'))).toBe(true);
  });
});
