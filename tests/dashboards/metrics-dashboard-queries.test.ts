import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { validateConfig } from '../../gateway/config/load.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import { RegisterServer } from '../../simulators/modbus/register-server.js';
import { InfluxDb1Server } from '../helpers/influxdb1.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { PrometheusServer, type PromSample } from '../helpers/prometheus.js';
import { interpolatePromQL, labelValuesQuery, loadPrometheusDashboards, promQueriesOf, scrapeConfig, type PromQuery } from './prometheus-dashboard.js';

/*
 * The metrics dashboard's PromQL against a real Prometheus 2.42 (Debian package prometheus) scraping
 * a real gateway every second: a Modbus device that answers (CO above its HH limit), one that does
 * not, history to a real InfluxDB 1.6 and an uplink whose platform is unreachable. Grafana's variable
 * interpolation is imitated; Grafana itself does not run.
 */

const metrics = loadPrometheusDashboards().find((d) => d.file === 'gateway-metrics.json')!;
const queries = promQueriesOf(metrics);
/** The committed scrape config's job: what $job lists in the compose stack. */
const JOB = scrapeConfig().scrape_configs[0]!.job_name;
/** Grafana's $__rate_interval with a 1 s scrape interval is 4 s; 5 s leaves room for a late scrape. */
const BUILTINS = { __rate_interval: '5s', __interval: '1s', __range: '1m' };

const dir = mkdtempSync(join(tmpdir(), 'gw-prom-'));
const plc = new RegisterServer();
let influx: InfluxDb1Server;
let gateway: Gateway;
let prometheus: PrometheusServer;
let instance: string;

function query(panel: RegExp, refId = 'A'): PromQuery {
  const q = queries.find((x) => panel.test(x.panel) && x.where.endsWith(`(${refId})`));
  if (!q) throw new Error(`gateway-metrics.json: no panel matching ${panel} with target ${refId}`);
  return q;
}

async function run(q: PromQuery, vars: Record<string, string[] | 'All'> = { job: [JOB], instance: [instance] }): Promise<PromSample[]> {
  return prometheus.vector(interpolatePromQL(q.expr, vars, BUILTINS));
}

/** The samples of a panel query, keyed by one label ('' when the query sums everything). */
async function byLabel(panel: RegExp, label: string, refId = 'A'): Promise<Map<string, number>> {
  return new Map((await run(query(panel, refId))).map((s) => [s.metric[label] ?? '', s.value]));
}

beforeAll(async () => {
  const modbusPort = await plc.start();
  plc.bank(1).write('holding', 0, 200, 'uint16'); // CO 200 ppm: H (一般) and HH (较大) from the first poll
  const deadPort = await freePort(); // nothing listens: every poll of `dead-plc` fails
  const platformPort = await freePort(); // nor here: the uplink queues
  influx = await InfluxDb1Server.start();
  await influx.query('CREATE DATABASE "safety"');
  const parsed = validateConfig({
    gateway: { id: 'prom-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
    mqtt: { port: await freePort() },
    http: { port: 0 },
    storage: { dataDir: join(dir, 'data') },
    devices: [
      {
        id: 'plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        port: modbusPort,
        pollInterval: '100ms',
        points: [{ id: 'booster.co', name: '加压机房一氧化碳', unit: 'ppm', table: 'holding', address: 0, limits: { preset: 'CO_GAS_AREA' } }],
      },
      {
        id: 'dead-plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        port: deadPort,
        pollInterval: '200ms',
        timeout: '200ms',
        points: [{ id: 'dc1.hopper_temp', name: '1#除尘器灰斗温度', unit: '°C', table: 'holding', address: 0 }],
      },
    ],
    influx: { api: 'v1', url: influx.url, database: 'safety', flushInterval: '200ms' },
    uplink: { transport: { profile: 'mqtt', url: `mqtt://127.0.0.1:${platformPort}` }, points: [{ point: 'booster.co', code: 'P1' }], heartbeatPeriod: '1s' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
  await gateway.start();
  const target = new URL(gateway.httpAddress!);
  instance = target.host;

  // The committed scrape config with the test's target and a 1 s interval: same job name, same path.
  const config = scrapeConfig();
  const job = config.scrape_configs[0]!;
  prometheus = await PrometheusServer.start(
    toYaml({
      ...config,
      global: { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ ...job, static_configs: [{ targets: [instance] }] }],
    }),
  );
  // Enough scrapes for a rate over 5 s, and the alarm raised before them.
  await waitFor(() => gateway.alarms.get('booster.co:HH').facts.active, 15_000, 'HH raised');
  await waitFor(async () => {
    const up = await prometheus.vector(`count_over_time(up{job="${JOB}"}[1m])`);
    return (up[0]?.value ?? 0) >= 6;
  }, 30_000, 'six scrapes of the gateway');
}, 90_000);

afterAll(async () => {
  await prometheus?.dispose();
  await gateway?.stop();
  await plc.stop();
  await influx?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('metrics dashboard PromQL against a real Prometheus scraping a real gateway', () => {
  it('Prometheus scrapes the gateway under the committed job name; $job and $instance list it', async () => {
    // One scrape may time out on a loaded machine; the target must be healthy again soon after.
    const targets = await waitFor(async () => {
      const t = await prometheus.targets();
      return t.every((x) => x.health === 'up') ? t : undefined;
    }, 15_000, 'the gateway target healthy');
    expect(targets.map((t) => [t.labels.job, t.labels.instance, t.health, t.lastError])).toEqual([[JOB, instance, 'up', '']]);
    const [jobVar, instanceVar] = metrics.dashboard.templating.list;
    const jobs = labelValuesQuery(jobVar!.query);
    expect(await prometheus.labelValues(jobs.label, jobs.selector)).toEqual([JOB]);
    const instances = labelValuesQuery(interpolatePromQL(instanceVar!.query, { job: [JOB] }, {}));
    expect(await prometheus.labelValues(instances.label, instances.selector)).toEqual([instance]);
  });

  it('every panel query parses and runs, with the gateway selected and with All', async () => {
    let ran = 0;
    for (const q of queries) {
      for (const vars of [{ job: [JOB], instance: [instance] }, { job: 'All', instance: 'All' }] as const) {
        const text = interpolatePromQL(q.expr, vars, BUILTINS);
        const r = await prometheus.query(text);
        expect(r.status === 'success' ? '' : `${r.errorType}: ${r.error}`, `${q.where}\n${text}`).toBe('');
        ran++;
      }
    }
    expect(ran).toBe(queries.length * 2);
    expect(queries.length).toBeGreaterThan(30);
  });

  it('selecting another instance empties the panels: the variables really filter', async () => {
    expect(await run(query(/Modbus 轮询速率/), { job: [JOB], instance: ['127.0.0.1:1'] })).toEqual([]);
    expect(await run(query(/Modbus 轮询速率/), { job: ['other-job'], instance: 'All' })).toEqual([]);
  });

  it('Modbus: polls per device, errors of the silent device, round-trip quantiles and comm status', async () => {
    const polls = await byLabel(/Modbus 轮询速率/, 'device');
    expect(polls.get('plc')).toBeGreaterThan(0);
    const errors = await run(query(/Modbus 通讯错误/));
    expect(errors.map((s) => s.metric.device)).toContain('dead-plc');
    expect(errors.filter((s) => s.metric.device === 'dead-plc').every((s) => s.metric.kind !== undefined)).toBe(true);
    expect(errors.find((s) => s.metric.device === 'plc')?.value ?? 0).toBe(0);
    for (const refId of ['A', 'B']) {
      const rtt = await byLabel(/往返时间/, 'device', refId);
      // A loopback round trip: finite and well under the 1 s timeout.
      expect(rtt.get('plc'), `round trip ${refId}`).toBeGreaterThan(0);
      expect(rtt.get('plc'), `round trip ${refId}`).toBeLessThan(1);
    }
    const comm = await byLabel(/通讯与链路状态/, 'device', 'A');
    expect(Object.fromEntries(comm)).toEqual({ plc: 1, 'dead-plc': 0 });
  });

  it('data flow: bus readings and rule evaluations per second, alarm events by severity, journal commit p99', async () => {
    expect((await run(query(/总线读数与规则评估/, 'A')))[0]?.value).toBeGreaterThan(0);
    expect((await run(query(/总线读数与规则评估/, 'B')))[0]?.value).toBeGreaterThan(0);
    expect((await run(query(/当前报警数/)))[0]?.value).toBeGreaterThanOrEqual(2); // booster.co H and HH
    // CO back to normal while Prometheus watches: H (一般, 2) and HH (较大, 3) return, each event
    // committed to the journal. Within the next rate window the panels show both.
    plc.bank(1).write('holding', 0, 0, 'uint16');
    const seen = await waitFor(async () => {
      const severities = await byLabel(/报警事件/, 'severity');
      const journal = await run(query(/报警日志提交耗时/));
      const moving = (severities.get('2') ?? 0) > 0 && (severities.get('3') ?? 0) > 0 && (journal[0]?.value ?? 0) > 0;
      return moving ? { severities, journal } : undefined;
    }, 20_000, 'alarm events of severities 2 and 3 and a journal commit time on the panels');
    // A commit on a local SQLite file: finite, under the largest bucket bound.
    expect(seen.journal.map((s) => s.metric.instance)).toEqual([instance]);
    expect(seen.journal[0]!.value).toBeLessThanOrEqual(10);
  });

  it('queues: InfluxDB (reachable) has no backlog, the uplink (unreachable) grows and ages; link status shows it', async () => {
    const depth = await run(query(/队列积压/, 'A'));
    expect(depth.map((s) => s.metric.instance)).toEqual([instance]);
    const uplinkDepth = await run(query(/队列积压/, 'B'));
    expect(uplinkDepth[0]?.value).toBeGreaterThan(0);
    const influxAge = await run(query(/最旧数据/, 'A'));
    expect(influxAge.length).toBe(1);
    const uplinkAge = await run(query(/最旧数据/, 'B'));
    expect(uplinkAge[0]?.value).toBeGreaterThan(0);
    expect((await run(query(/通讯与链路状态/, 'C')))[0]?.value).toBe(1); // InfluxDB 写入
    expect((await run(query(/通讯与链路状态/, 'D')))[0]?.value).toBe(0); // 省级平台上报
  });

  it('process and server: up, MQTT clients, CPU, memory, event-loop lag, HTTP durations of /metrics', async () => {
    expect((await run(query(/采集状态/)))[0]?.value).toBe(1);
    expect((await run(query(/MQTT 客户端连接数/))).length).toBe(1);
    expect((await run(query(/^进程 CPU$/)))[0]?.value).toBeGreaterThan(0);
    expect((await run(query(/常驻内存/)))[0]?.value).toBeGreaterThan(10_000_000);
    for (const refId of ['A', 'B']) expect((await run(query(/^内存/, refId)))[0]?.value, refId).toBeGreaterThan(0);
    expect((await run(query(/^事件循环延迟$/, 'A'))).length).toBe(1);
    const http = await byLabel(/HTTP 请求耗时/, 'route');
    expect(http.get('/metrics')).toBeGreaterThan(0);
  });
});
