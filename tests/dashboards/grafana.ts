import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { influxSectionSchema } from '../../gateway/sinks/influx/config.js';
import { alarmLine, readingLine } from '../../gateway/sinks/influx/line-protocol.js';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * What the dashboard tests need to know about the Grafana files and the InfluxDB schema. The schema
 * is not written down here: it is read off lines the sink's own line-protocol code produces, so a
 * renamed tag or field in the sink breaks the dashboard tests.
 */

export const GRAFANA_DIR = join(REPO_ROOT, 'dashboards', 'grafana');
export const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');
export const DATASOURCE_DIR = join(GRAFANA_DIR, 'provisioning', 'datasources');
/** The InfluxQL datasource of the history dashboards. */
export const DATASOURCE_FILE = join(DATASOURCE_DIR, 'influxdb.yaml');
export const PROVIDER_FILE = join(GRAFANA_DIR, 'provisioning', 'dashboards', 'dashboards.yaml');

// ---------------------------------------------------------------- provisioning files

const datasourceRef = z.object({ type: z.string(), uid: z.string() });

export const datasourceProvisioningSchema = z.object({
  apiVersion: z.literal(1),
  datasources: z
    .array(
      z.object({
        name: z.string().min(1),
        uid: z.string().min(1),
        type: z.string(),
        access: z.enum(['proxy', 'direct']),
        url: z.string().url(),
        jsonData: z.object({ version: z.string().optional(), dbName: z.string().min(1) }).passthrough(),
      }).passthrough(),
    )
    .min(1),
});

export const providerProvisioningSchema = z.object({
  apiVersion: z.literal(1),
  providers: z.array(z.object({ name: z.string(), type: z.literal('file'), options: z.object({ path: z.string() }).passthrough() }).passthrough()).min(1),
});

export function readYaml(file: string): unknown {
  return parseYaml(readFileSync(file, 'utf8'));
}

/** What every provisioned datasource has, whatever its type: the dashboards refer to it by uid. */
const anyDatasourceProvisioningSchema = z.object({
  apiVersion: z.literal(1),
  datasources: z.array(z.object({ name: z.string().min(1), uid: z.string().min(1), type: z.string().min(1), access: z.enum(['proxy', 'direct']), url: z.string().url() }).passthrough()).min(1),
});

export interface ProvisionedDatasource {
  file: string;
  name: string;
  uid: string;
  type: string;
  url: string;
}

/** Every datasource of every file in provisioning/datasources. */
export function provisionedDatasources(): ProvisionedDatasource[] {
  return readdirSync(DATASOURCE_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => {
      const parsed = anyDatasourceProvisioningSchema.safeParse(readYaml(join(DATASOURCE_DIR, file)));
      if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return parsed.data.datasources.map((d) => ({ file, name: d.name, uid: d.uid, type: d.type, url: d.url }));
    });
}

/** The InfluxQL datasource (influxdb.yaml), with the database the history dashboards query. */
export function provisionedDatasource(): z.infer<typeof datasourceProvisioningSchema>['datasources'][number] {
  const parsed = datasourceProvisioningSchema.parse(readYaml(DATASOURCE_FILE));
  const influx = parsed.datasources.filter((d) => d.type === 'influxdb');
  if (influx.length !== 1) throw new Error(`${DATASOURCE_FILE}: expected one influxdb datasource, found ${influx.length}`);
  return influx[0]!;
}

// ---------------------------------------------------------------- dashboards

const targetSchema = z.object({ refId: z.string(), datasource: datasourceRef, query: z.string(), rawQuery: z.literal(true), resultFormat: z.enum(['time_series', 'table']), alias: z.string().optional() }).passthrough();

const gridPosSchema = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1), h: z.number().int().min(1) });

export const panelSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    title: z.string().min(1),
    datasource: datasourceRef,
    gridPos: gridPosSchema,
    targets: z.array(targetSchema).min(1),
    fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }).passthrough().optional(),
  })
  .passthrough();
export type Panel = z.infer<typeof panelSchema>;

/** Current Grafana reads `target`; `query` / `textColumn` / `tagsColumn` are the pre-10 form of the same. */
const annotationSchema = z
  .object({
    name: z.string(),
    datasource: datasourceRef,
    iconColor: z.string(),
    target: z.object({ query: z.string(), fromAnnotations: z.literal(true), textColumn: z.string().min(1), tagsColumn: z.string() }).passthrough(),
    query: z.string(),
    textColumn: z.string(),
    tagsColumn: z.string(),
  })
  .passthrough();
const variableSchema = z.object({ name: z.string().regex(/^\w+$/), type: z.literal('query'), datasource: datasourceRef, query: z.string(), allValue: z.string().optional() }).passthrough();

export const dashboardSchema = z
  .object({
    uid: z.string().min(1).max(40),
    title: z.string().min(1),
    schemaVersion: z.number().int().min(36),
    panels: z.array(panelSchema).min(1),
    annotations: z.object({ list: z.array(annotationSchema) }),
    templating: z.object({ list: z.array(variableSchema) }),
    time: z.object({ from: z.string(), to: z.string() }),
  })
  .passthrough();
export type Dashboard = z.infer<typeof dashboardSchema>;

/** What every dashboard has, whatever its datasource: the layout and identity checks use this. */
export const commonDashboardSchema = z
  .object({
    uid: z.string().min(1).max(40),
    title: z.string().min(1),
    schemaVersion: z.number().int().min(36),
    panels: z.array(z.object({ id: z.number().int(), type: z.string(), title: z.string().min(1), gridPos: gridPosSchema }).passthrough()).min(1),
    time: z.object({ from: z.string(), to: z.string() }),
  })
  .passthrough();
export type CommonDashboard = z.infer<typeof commonDashboardSchema>;

export function parseCommon(f: RawDashboardFile): CommonDashboard {
  const parsed = commonDashboardSchema.safeParse(f.raw);
  if (!parsed.success) throw new Error(`${f.file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface DashboardFile {
  file: string;
  raw: unknown;
  dashboard: Dashboard;
}

/** Every dashboard JSON file, whatever its datasource. */
export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort();
}

export interface RawDashboardFile {
  file: string;
  raw: unknown;
  /** Uids of every datasource reference in the file (panels, targets, annotations, variables), deduplicated. */
  datasourceUids: string[];
}

/**
 * Every `datasource` reference anywhere in a dashboard's JSON. A reference by name (a plain string,
 * the pre-8 form) is returned as its uid too, so it matches no provisioned uid and is caught.
 */
export function datasourceUidsOf(raw: unknown): string[] {
  const uids = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'datasource' && typeof child === 'string') uids.add(child);
        else if (k === 'datasource' && child && typeof child === 'object' && 'uid' in child) uids.add(String((child as { uid: unknown }).uid));
        walk(child);
      }
    }
  };
  walk(raw);
  return [...uids].sort();
}

export function readDashboardFiles(): RawDashboardFile[] {
  return dashboardFiles().map((file) => {
    const raw: unknown = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8'));
    return { file, raw, datasourceUids: datasourceUidsOf(raw) };
  });
}

/** The dashboard files that refer to a datasource uid anywhere (a file mixing datasources is in several sets). */
export function dashboardFilesUsing(uid: string): RawDashboardFile[] {
  return readDashboardFiles().filter((f) => f.datasourceUids.includes(uid));
}

/**
 * The InfluxQL dashboards: every file that refers to the provisioned InfluxDB datasource, parsed with
 * the InfluxQL schema above (a file that also holds another kind of target fails to parse here).
 */
export function loadDashboards(): DashboardFile[] {
  return dashboardFilesUsing(provisionedDatasource().uid).map(({ file, raw }) => {
    const parsed = dashboardSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return { file, raw, dashboard: parsed.data };
  });
}

export interface DashboardQuery {
  /** "alarm-wall.json panel 当前报警 (A)", for messages. */
  where: string;
  query: string;
  alias?: string | undefined;
  datasourceUid: string;
  kind: 'panel' | 'annotation' | 'variable';
}

export function queriesOf(f: DashboardFile): DashboardQuery[] {
  const d = f.dashboard;
  return [
    ...d.panels.flatMap((p) =>
      p.targets.map((t) => ({ where: `${f.file} panel "${p.title}" (${t.refId})`, query: t.query, alias: t.alias, datasourceUid: t.datasource.uid, kind: 'panel' as const })),
    ),
    ...d.annotations.list.map((a) => ({ where: `${f.file} annotation "${a.name}"`, query: a.target.query, datasourceUid: a.datasource.uid, kind: 'annotation' as const })),
    ...d.templating.list.map((v) => ({ where: `${f.file} variable $${v.name}`, query: v.query, datasourceUid: v.datasource.uid, kind: 'variable' as const })),
  ];
}

// ---------------------------------------------------------------- the sink's InfluxDB schema

export interface MeasurementSchema {
  tags: Set<string>;
  fields: Set<string>;
}

/** Tag and field keys of one line of line protocol (the samples below use no escaped characters in keys). */
export function lineKeys(line: string): { measurement: string; tags: string[]; fields: string[] } {
  const m = /^([^, ]+)((?:,[^ ]+)?) (.+) (\d+)$/.exec(line);
  if (!m) throw new Error(`not a line-protocol line: ${line}`);
  const tags = m[2]!.split(',').filter(Boolean).map((kv) => kv.split('=')[0]!);
  // Field values may be quoted strings with spaces and commas; keys are what precedes `=` outside quotes.
  const fields: string[] = [];
  let key = '';
  let inString = false;
  let readingKey = true;
  for (let i = 0; i < m[3]!.length; i++) {
    const c = m[3]![i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (readingKey && c === '=') {
      fields.push(key);
      readingKey = false;
    } else if (c === ',') {
      key = '';
      readingKey = true;
    } else if (readingKey) key += c;
  }
  return { measurement: m[1]!, tags, fields };
}

/** Measurement names the sink uses when the config does not override them. */
export function defaultMeasurements(): { reading: string; alarm: string } {
  const section = influxSectionSchema.parse({ api: 'v1', url: 'http://influxdb:8086', database: 'safety' });
  return { reading: section.measurement, alarm: section.alarmMeasurement };
}

/** Every tag and field the sink writes, from lines it produces for fully populated samples. */
export function sinkSchema(): Map<string, MeasurementSchema> {
  const names = defaultMeasurements();
  const reading = readingLine(names.reading, { point: 'p1', value: 1.5, quality: 'Good', ts: 1_700_000_000_000, receivedAt: 1_700_000_000_000 }, { site: 's1', equipment: 'e1' });
  const alarm = alarmLine(
    names.alarm,
    { seq: 7, alarmId: 'p1:HH', point: 'p1', condition: 'HH', severity: 4, state: 'ACKED', active: true, value: 200, limit: 160, message: 'm', ts: 1_700_000_000_000, user: 'u', comment: 'c' },
    's1',
  );
  const out = new Map<string, MeasurementSchema>();
  for (const line of [reading, alarm]) {
    if (!line) throw new Error('the sink produced no line for a fully populated sample');
    const k = lineKeys(line);
    out.set(k.measurement, { tags: new Set(k.tags), fields: new Set(k.fields) });
  }
  return out;
}

// ---------------------------------------------------------------- InfluxQL pieces

/** Grafana's own variables that an InfluxQL query may use. */
export const GRAFANA_BUILTIN_VARIABLES = new Set(['timeFilter', '__interval', '__interval_ms', 'interval', '__range', '__range_s', '__range_ms', '__from', '__to', '__dashboard', '__org', '__user']);

export function measurementsOf(query: string): string[] {
  return [...query.matchAll(/\bFROM\s+"([^"]+)"/gi)].map((m) => m[1]!);
}

/** Double-quoted identifiers (keys and measurements); string literals are single-quoted in InfluxQL. */
export function identifiersOf(query: string): string[] {
  return [...query.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

export function aliasesOf(query: string): string[] {
  return [...query.matchAll(/\bAS\s+"([^"]+)"/gi)].map((m) => m[1]!);
}

/** Keys passed to aggregate / selector functions: InfluxQL only aggregates fields. */
export function aggregatedKeysOf(query: string): string[] {
  return [...query.matchAll(/\b(?:mean|max|min|last|first|count|sum|median|spread|stddev|distinct|difference|derivative|non_negative_derivative|integral)\(\s*"([^"]+)"/gi)].map((m) => m[1]!);
}

/** Keys in GROUP BY clauses (time(...) aside): InfluxQL only groups by tags. */
export function groupByKeysOf(query: string): string[] {
  const keys: string[] = [];
  const withoutTime = query.replace(/\btime\([^)]*\)/gi, 'time');
  for (const m of withoutTime.matchAll(/\bGROUP BY\s+([^)]*?)(?=\s+fill\(|\s+ORDER\b|\s+LIMIT\b|\)|$)/gi)) keys.push(...identifiersOf(m[1]!));
  return keys;
}

/** Keys of `WITH KEY = "x"` in SHOW TAG VALUES. */
export function showTagKeysOf(query: string): string[] {
  return [...query.matchAll(/\bWITH KEY\s*=\s*"([^"]+)"/gi)].map((m) => m[1]!);
}

/** `$name`, `${name}`, `${name:fmt}` and `[[name]]` references. */
export function variablesOf(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) names.add((m[1] ?? m[2] ?? m[3])!);
  return [...names];
}

/** Literal values a query compares a key with: `"k" = 'v'` and the alternatives of `"k" =~ /^(a|b)$/`. */
export function comparedValues(query: string, key: string): string[] {
  const values: string[] = [];
  const q = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const m of query.matchAll(new RegExp(`"${q}"\\s*=\\s*'([^']*)'`, 'g'))) values.push(m[1]!);
  for (const m of query.matchAll(new RegExp(`"${q}"\\s*=\\s*(\\d+)(?!\\w)`, 'g'))) values.push(m[1]!);
  for (const m of query.matchAll(new RegExp(`"${q}"\\s*=~\\s*/\\^\\(([^)/]*)\\)\\$/`, 'g'))) values.push(...m[1]!.split('|'));
  return values;
}
