import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../gateway/config/load.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { InfluxDb1Server } from '../../helpers/influxdb1.js';
import { freePort, waitFor } from '../../helpers/ports.js';

interface Ready {
  status: string;
  notReady: string[];
  services: { name: string; started: boolean; ok: boolean; detail?: string }[];
}

/** Reads one sample of a metric (name plus exact label text) from the Prometheus text. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/**
 * The gateway's HTTP server as an operator or Prometheus meets it: a real gateway reading a Modbus
 * device and writing history to a real InfluxDB 1.x.
 */
describe('HTTP server: /healthz, /readyz, /metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-http-'));
  const plc = new RegisterServer();
  let influx: InfluxDb1Server;
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    const modbusPort = await plc.start();
    influx = await InfluxDb1Server.start();
    await fetch(`http://127.0.0.1:${influx.port}/query?q=${encodeURIComponent('CREATE DATABASE safety')}`, { method: 'POST' });
    const parsed = validateConfig({
      gateway: { id: 'http-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
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
      ],
      influx: { api: 'v1', url: `http://127.0.0.1:${influx.port}`, database: 'safety', flushInterval: '100ms', retry: { initialDelay: '100ms', maxDelay: '500ms' } },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await gateway.start();
    base = gateway.httpAddress!;
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await plc.stop();
    await influx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its address and answers /healthz', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', gateway: 'http-gw' });
  });

  it('/metrics moves with the plant: polls, bus readings, alarm events by severity, journal commits', async () => {
    const scrape = async () => (await fetch(`${base}/metrics`)).text();
    const before = await waitFor(async () => {
      const t = await scrape();
      return t.includes('gateway_modbus_requests_total{device="plc"}') ? t : undefined;
    }, 10_000, 'first poll counted');
    expect(before).toContain('# TYPE gateway_modbus_requests_total counter');
    plc.bank(1).write('holding', 0, 200, 'uint16'); // CO 200 ppm: H and HH
    await waitFor(() => gateway.alarms.get('booster.co:HH').facts.active, 10_000, 'HH raised');
    const after = await scrape();
    expect(sample(after, 'gateway_modbus_requests_total{device="plc"}')).toBeGreaterThan(sample(before, 'gateway_modbus_requests_total{device="plc"}') ?? 0);
    expect(sample(after, 'gateway_bus_readings_total')).toBeGreaterThan(sample(before, 'gateway_bus_readings_total') ?? 0);
    expect(sample(after, 'gateway_alarm_events_total{severity="3"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gateway_journal_commit_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(after).toMatch(/gateway_modbus_request_duration_seconds_bucket\{device="plc",le="0.001"\} \d+/);
    expect(after).toContain('gateway_process_cpu_seconds_total');
    expect(after).toContain('gateway_nodejs_eventloop_lag_seconds');
    expect(sample(after, 'gateway_influx_queue_lines')).toBeDefined();
    // No point id is ever a label: series stay bounded however many points a plant has.
    expect(after).not.toMatch(/point="/);
    plc.bank(1).write('holding', 0, 0, 'uint16');
  });

  it('/readyz is 200 while every service is healthy and 503 naming influx when InfluxDB is down', async () => {
    const ready = await waitFor(async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 200 ? ((await res.json()) as Ready) : undefined;
    }, 10_000, 'ready');
    expect(ready.services.map((s) => s.name)).toEqual(expect.arrayContaining(['mqtt-broker', 'mqtt-publisher', 'influx', 'control', 'terminal', 'http']));
    expect(gateway.points.latest('gateway.influx.write_ok')?.value).toBe(true);

    await influx.stop();
    const down = await waitFor(async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 503 ? ((await res.json()) as Ready) : undefined;
    }, 20_000, '503 while InfluxDB is down');
    expect(down.notReady).toEqual(['influx']);
    expect(down.services.find((s) => s.name === 'influx')?.detail).toContain('InfluxDB');
    // The same health is a point: history, MQTT and rules see it like a device's comm_ok.
    await waitFor(() => gateway.points.latest('gateway.influx.write_ok')?.value === false, 5_000, 'write_ok point false');

    await influx.start();
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 'ready again after InfluxDB is back');
    await waitFor(() => gateway.points.latest('gateway.influx.write_ok')?.value === true, 5_000, 'write_ok point true');
  }, 90_000);
});
