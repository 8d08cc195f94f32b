import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent, AlarmState, Severity } from '../../gateway/core/alarm-event.js';
import type { QualityCode } from '../../gateway/core/quality.js';
import { alarmLine, readingLine } from '../../gateway/sinks/influx/line-protocol.js';
import { InfluxDb1Server, type InfluxQlResponse } from '../helpers/influxdb1.js';
import { defaultMeasurements, loadDashboards, provisionedDatasource, queriesOf, type DashboardFile } from './grafana.js';

/*
 * The dashboards' InfluxQL run against a real InfluxDB 1.6 (Debian package influxdb) holding lines
 * made by the sink's own line-protocol code, with Grafana's variable interpolation imitated. This is
 * what the panels show an operator; the Grafana rendering itself is not exercised.
 */

const DB = provisionedDatasource().jsonData.dbName;
const names = defaultMeasurements();
const dashboards = loadDashboards();
const wall = dashboards.find((d) => d.file === 'alarm-wall.json')!;
const overview = dashboards.find((d) => d.file === 'plant-overview.json')!;

const NOW = Date.now();
const T0 = NOW - 3_600_000; // data spans the last hour
let influx: InfluxDb1Server;

type Series = NonNullable<InfluxQlResponse['results'][number]['series']>[number];

/** Grafana's InfluxQL interpolation: multi-value / All variables become regex alternatives. */
function interpolate(query: string, vars: Record<string, string[] | 'All'>, interval = '1m'): string {
  const escape = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
  return query
    .replaceAll('$timeFilter', `time >= ${T0 - 60_000}ms and time <= ${NOW + 60_000}ms`)
    .replaceAll('$__interval', interval)
    .replace(/\$(\w+)/g, (m, name: string) => {
      const v = vars[name];
      if (v === undefined) return m;
      return v === 'All' ? '.*' : v.length === 1 ? escape(v[0]!) : `(${v.map(escape).join('|')})`;
    });
}

const ALL = { site: 'All', equipment: 'All', point: 'All' } as const;

async function run(query: string, vars: Record<string, string[] | 'All'> = ALL, interval?: string): Promise<Series[]> {
  const res = await influx.query(interpolate(query, vars, interval), DB);
  const r = res.results[0]!;
  if (r.error) throw new Error(`${r.error}\n${interpolate(query, vars, interval)}`);
  return r.series ?? [];
}

function rows(series: Series[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((v) => ({ ...(s.tags ?? {}), ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

function panelQuery(f: DashboardFile, title: RegExp): string {
  const p = f.dashboard.panels.find((x) => title.test(x.title));
  if (!p) throw new Error(`${f.file}: no panel matching ${title}`);
  return p.targets[0]!.query;
}

function reading(point: string, value: number | boolean | null, ts: number, equipment?: string, site = 'demo-gw', quality: QualityCode = value === null ? 'BadCommunicationError' : 'Good'): string {
  return readingLine(names.reading, { point, value, quality, ts, receivedAt: ts }, { site, equipment })!;
}

let seq = 0;
function alarm(alarmId: string, point: string, severity: Severity, state: AlarmState, ts: number, site = 'demo-gw'): string {
  const active = state === 'UNACK' || state === 'ACKED';
  const e: AlarmEvent = { seq: ++seq, alarmId, point, condition: alarmId.split(':')[1] ?? 'FAULT', severity, state, active, value: 30, limit: 24, message: `${point} ${state}`, ts };
  return alarmLine(names.alarm, e, site)!;
}

const BAD_HOPPER_READINGS = 6;

beforeAll(async () => {
  influx = await InfluxDb1Server.start();
  await influx.query(`CREATE DATABASE "${DB}"`);
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const ts = T0 + i * 60_000;
    lines.push(reading('booster.co', i === 30 ? 180 : 5, ts, '煤气加压机房'));
    lines.push(reading('gasholder.co', 3, ts, '煤气柜'));
    lines.push(reading('dc1.hopper_temp', i % 10 === 0 ? null : 55, ts, '1#除尘器'));
    lines.push(reading('dc1.diff_pressure', 1200, ts, '1#除尘器'));
    lines.push(reading('dc1.fan_running', true, ts, '1#除尘器'));
    lines.push(reading('gw.cabinet_temp', 31, ts)); // a point without equipment
    lines.push(reading('other.co', 2, ts, '煤气柜', 'other-gw'));
  }
  lines.push(
    alarm('booster.co:H', 'booster.co', 2, 'UNACK', T0 + 30 * 60_000),
    alarm('booster.co:H', 'booster.co', 2, 'ACKED', T0 + 31 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'UNACK', T0 + 40 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'RTN_UNACK', T0 + 41 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'NORMAL', T0 + 42 * 60_000),
    alarm('dc1-airlock-fault', 'dc1.airlock_fault', 4, 'UNACK', T0 + 50 * 60_000),
    alarm('other.co:HH', 'other.co', 3, 'UNACK', T0 + 55 * 60_000, 'other-gw'),
  );
  const res = await fetch(`${influx.url}/write?db=${encodeURIComponent(DB)}`, { method: 'POST', body: lines.join('\n') });
  expect(res.status).toBe(204);
});
afterAll(async () => {
  await influx?.dispose();
});

describe('dashboard InfluxQL against a real InfluxDB 1.6 with lines from the sink', () => {
  it('every panel, annotation and variable query runs without error, with All and with a selection', async () => {
    const selection = { site: ['demo-gw'], equipment: ['1#除尘器'], point: ['dc1.hopper_temp', 'dc1.diff_pressure'] };
    let ran = 0;
    for (const f of dashboards) {
      for (const q of queriesOf(f)) {
        for (const vars of [ALL, selection]) {
          await expect(run(q.query, vars), q.where).resolves.toBeDefined();
          ran++;
        }
      }
    }
    expect(ran).toBeGreaterThan(30);
  });

  it('报警墙: the active-alarm table lists the latest state of each annunciated alarm, not those back to normal', async () => {
    const table = rows(await run(panelQuery(wall, /当前报警/), { site: ['demo-gw'] }));
    expect(table.map((r) => [r.alarm_id, r.state, r.severity]).sort()).toEqual([
      ['booster.co:H', 'ACKED', '2'],
      ['dc1-airlock-fault', 'UNACK', '4'],
    ]);
    expect(table.find((r) => r.alarm_id === 'dc1-airlock-fault')).toMatchObject({ point: 'dc1.airlock_fault', message: 'dc1.airlock_fault UNACK', value: 30, limit: 24 });
    // All sites: the other gateway's standing alarm appears too.
    expect(rows(await run(panelQuery(wall, /当前报警/))).map((r) => r.alarm_id)).toContain('other.co:HH');
  });

  it('报警墙: the severity stats count standing alarms per level; the unacknowledged stat counts those awaiting an operator', async () => {
    const count = async (title: RegExp, vars: Record<string, string[] | 'All'>) => {
      const r = rows(await run(panelQuery(wall, title), vars));
      return r.length === 0 ? 0 : (r[0]!.count as number); // no rows: the panel shows its noValue "0"
    };
    const demo = { site: ['demo-gw'] };
    expect(await count(/重大/, demo)).toBe(1);
    expect(await count(/较大/, demo)).toBe(0); // gasholder.co:HH returned to normal
    expect(await count(/一般/, demo)).toBe(1);
    expect(await count(/低报警/, demo)).toBe(0);
    expect(await count(/未确认/, demo)).toBe(1); // booster.co:H is acknowledged
    expect(await count(/较大/, ALL)).toBe(1); // other-gw's HH
  });

  it('报警墙: alarm rate per 10 minutes counts every raise once; annotations mark raises by severity', async () => {
    const rate = rows(await run(panelQuery(wall, /报警率/), { site: ['demo-gw'] }));
    expect(rate.reduce((a, r) => a + (r.count as number), 0)).toBe(3);
    expect(rate.every((r) => (r.count as number) <= 1)).toBe(true);
    const sev2 = wall.dashboard.annotations.list.find((a) => a.target.query.includes(`"severity" = '2'`))!;
    const marks = rows(await run(sev2.target.query, { site: ['demo-gw'] }));
    expect(marks).toEqual([expect.objectContaining({ message: 'booster.co UNACK', point: 'booster.co', alarm_id: 'booster.co:H' })]);
  });

  it('装置总览: the CO trend shows both CO points of the selected site and keeps the 180 ppm peak at a coarse interval', async () => {
    const series = await run(panelQuery(overview, /一氧化碳/), { site: ['demo-gw'] }, '1h');
    expect(series.map((s) => s.tags?.point).sort()).toEqual(['booster.co', 'gasholder.co']);
    const booster = rows(series.filter((s) => s.tags?.point === 'booster.co'));
    expect(Math.max(...booster.map((r) => (r.max as number | null) ?? 0))).toBe(180);
  });

  it('装置总览: bad-quality counts add up to the bad readings written; gaps stay gaps in the trend', async () => {
    const bad = rows(await run(panelQuery(overview, /坏质量/), { ...ALL, site: ['demo-gw'] }));
    const byPoint = new Map<string, number>();
    for (const r of bad) byPoint.set(r.point as string, (byPoint.get(r.point as string) ?? 0) + (r.count as number));
    expect([...byPoint.entries()].filter(([, n]) => n > 0)).toEqual([['dc1.hopper_temp', BAD_HOPPER_READINGS]]);
    const current = rows(await run(panelQuery(overview, /当前值与质量/), { site: ['demo-gw'], equipment: ['1#除尘器'], point: ['dc1.hopper_temp'] }));
    expect(current).toEqual([expect.objectContaining({ point: 'dc1.hopper_temp', equipment: '1#除尘器', quality: 'Good', quality_level: 0, value: 55 })]);
  });

  it('装置总览: the equipment variable narrows the point list; with All, points without equipment still show', async () => {
    const pointVar = overview.dashboard.templating.list.find((v) => v.name === 'point')!;
    const listed = async (vars: Record<string, string[] | 'All'>) => rows(await run(pointVar.query, vars)).map((r) => r.value).sort();
    expect(await listed({ site: ['demo-gw'], equipment: ['1#除尘器'] })).toEqual(['dc1.diff_pressure', 'dc1.fan_running', 'dc1.hopper_temp']);
    expect(await listed({ site: ['demo-gw'], equipment: 'All' })).toContain('gw.cabinet_temp');
    const trend = await run(panelQuery(overview, /所选测点/), { site: ['demo-gw'], equipment: 'All', point: ['gw.cabinet_temp'] });
    expect(trend.map((s) => s.tags?.point)).toEqual(['gw.cabinet_temp']);
    const siteVar = overview.dashboard.templating.list.find((v) => v.name === 'site')!;
    expect(rows(await run(siteVar.query, {})).map((r) => r.value).sort()).toEqual(['demo-gw', 'other-gw']);
  });
});
