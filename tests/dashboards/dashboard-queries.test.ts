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
const equipment = dashboards.find((d) => d.file === 'equipment.json')!;

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
function alarm(alarmId: string, point: string, severity: Severity, state: AlarmState, ts: number, site = 'demo-gw', basis?: string): string {
  const active = state === 'UNACK' || state === 'ACKED';
  const e: AlarmEvent = { seq: ++seq, alarmId, point, condition: alarmId.split(':')[1] ?? 'FAULT', severity, state, active, value: 30, limit: 24, message: `${point} ${state}`, ts, ...(basis ? { basis } : {}) };
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
    // The equipment packs' demo points (gateway/config/scenario-*.yaml), on the other gateway.
    const eq = (point: string, value: number | boolean, equipmentName: string) => lines.push(reading(point, value, ts, equipmentName, 'other-gw'));
    eq('bf1.tp', i === 20 ? 262 : 200, '1#高炉');
    eq('bf1.tp_set', 205, '1#高炉');
    eq('bf1.relief_set', 260, '1#高炉');
    eq('bof1.win', 120, '1#转炉');
    eq('bof1.wout', i >= 40 ? 110 : 119, '1#转炉');
    eq('bof1.tout', 40, '1#转炉');
    eq('gh1.level', 25 + (i % 10), '1#煤气柜');
    eq('gh1.tilt', 10, '1#煤气柜');
    eq('gh1.speed', 1, '1#煤气柜');
    for (const [pt, v] of [['cs1.o2', 20.9], ['cs1.lel', 0], ['cs1.h2s', 0.2], ['cs1.co', 2]] as const) eq(pt, v, '1#煤气管道有限空间');
    eq('cs1.inside', i >= 30, '1#煤气管道有限空间');
    eq('cs1.attendant', true, '1#煤气管道有限空间');
    eq('cs1.fan', true, '1#煤气管道有限空间');
    eq('t1.level', i === 50 ? 9.5 : 5, '1#甲醇储罐');
    eq('t1.temp', 20, '1#甲醇储罐');
    eq('t1.press', 2, '1#甲醇储罐');
    eq('nh3.room', 5, '氨制冷机房');
    eq('nh3.fan', false, '氨制冷机房');
    eq('wdc1.h2', 2, '2#湿式除尘器');
  }
  lines.push(
    alarm('booster.co:H', 'booster.co', 2, 'UNACK', T0 + 30 * 60_000),
    alarm('booster.co:H', 'booster.co', 2, 'ACKED', T0 + 31 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'UNACK', T0 + 40 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'RTN_UNACK', T0 + 41 * 60_000),
    alarm('gasholder.co:HH', 'gasholder.co', 3, 'NORMAL', T0 + 42 * 60_000),
    alarm('dc1-airlock-fault', 'dc1.airlock_fault', 4, 'UNACK', T0 + 50 * 60_000),
    alarm('other.co:HH', 'other.co', 3, 'UNACK', T0 + 55 * 60_000, 'other-gw'),
    alarm('t1.level:HH', 't1.level', 4, 'UNACK', T0 + 50 * 60_000, 'other-gw', '《危险化学品重大危险源监督管理暂行规定》(原国家安监总局令第40号) 第十三条(一)'),
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

describe('设备包 equipment dashboard against the real InfluxDB 1.6', () => {
  const other = { site: ['other-gw'] };

  it('高炉: top pressure with its set value and relief set value, peak kept at a coarse interval', async () => {
    const series = await run(panelQuery(equipment, /高炉炉顶压力/), other, '1h');
    expect(series.map((s) => s.tags?.point).sort()).toEqual(['bf1.relief_set', 'bf1.tp', 'bf1.tp_set']);
    expect(Math.max(...rows(series.filter((s) => s.tags?.point === 'bf1.tp')).map((r) => (r.max as number | null) ?? 0))).toBe(262);
  });

  it('转炉: inlet and outlet flow series show the difference opening', async () => {
    const r = rows(await run(panelQuery(equipment, /进出水流量/), other, '10m'));
    const last = (p: string) => r.filter((x) => x.point === p && x.mean !== null).at(-1)!.mean;
    expect([last('bof1.win'), last('bof1.wout')]).toEqual([120, 110]);
  });

  it('有限空间: the four gas readings and the entry state points', async () => {
    expect((await run(panelQuery(equipment, /有限空间作业读数/), other)).map((s) => s.tags?.point).sort()).toEqual(['cs1.co', 'cs1.h2s', 'cs1.lel', 'cs1.o2']);
    const state = rows(await run(panelQuery(equipment, /有限空间作业状态/), other, '1h'));
    expect(state.filter((x) => x.point === 'cs1.inside').some((x) => x.max === 1)).toBe(true);
  });

  it('储罐液位 and 煤气柜柜位 select their points; the LL/L/H/HH lines are on the tank panel', async () => {
    const tank = rows(await run(panelQuery(equipment, /储罐液位/), other, '1h'));
    expect(new Set(tank.map((x) => x.point))).toEqual(new Set(['t1.level']));
    const p = equipment.dashboard.panels.find((x) => /储罐液位/.test(x.title)) as unknown as { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } };
    expect(p.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 0.5, 1, 8, 9]);
    expect(new Set(rows(await run(panelQuery(equipment, /煤气柜柜位/), other)).map((x) => x.point))).toEqual(new Set(['gh1.level']));
  });

  it('报警及其依据: the alarm message with its basis', async () => {
    const table = rows(await run(panelQuery(equipment, /依据/), other));
    expect(table.map((r) => r.alarm_id).sort()).toEqual(['other.co:HH', 't1.level:HH']);
    expect(table.find((r) => r.alarm_id === 't1.level:HH')).toMatchObject({ message: 't1.level UNACK', basis: expect.stringContaining('第十三条(一)') });
    expect(table.find((r) => r.alarm_id === 'other.co:HH')!.basis).toBeNull(); // a hand-written limit without basis
  });
});
