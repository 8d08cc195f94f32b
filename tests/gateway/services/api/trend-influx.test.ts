import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDb1Server } from '../../../helpers/influxdb1.js';
import { VictoriaMetricsServer } from '../../../helpers/victoria-metrics.js';
import { waitFor } from '../../../helpers/ports.js';
import { Client, startPlant, type Plant } from './harness.js';

interface Trend {
  source: string;
  fallback?: string;
  samples: { ts: number; value: number | null; min: number | null; max: number | null; bad: boolean }[];
}

const MIN = 60_000;
/** Four hours ago, on a 20-minute boundary: a window the local history (which starts with this test) cannot hold. */
const PAST = Math.floor((Date.now() - 4 * 3_600_000) / (20 * MIN)) * 20 * MIN;

/** Ten readings ten minutes apart in the past window, as the influx sink writes them (site = gateway id); the last is bad. */
function pastLines(): string {
  return Array.from({ length: 10 }, (_, i) => {
    const bad = i === 9;
    return `reading,site=api-gw,point=booster.co value=${(i + 1) * 10},quality="${bad ? 'BadSensorFailure' : 'Good'}",quality_level=${bad ? 2 : 0}i ${(PAST + i * 10 * MIN) * 1e6}`;
  }).join('\n');
}

/** 20-minute buckets of the past readings (maxPoints 10 over 200 minutes): means with their extremes. */
const BUCKETS = [
  { ts: PAST, value: 15, min: 10, max: 20, bad: false },
  { ts: PAST + 20 * MIN, value: 35, min: 30, max: 40, bad: false },
  { ts: PAST + 40 * MIN, value: 55, min: 50, max: 60, bad: false },
  { ts: PAST + 60 * MIN, value: 75, min: 70, max: 80, bad: false },
  { ts: PAST + 80 * MIN, value: 95, min: 90, max: 100, bad: true },
];

async function trend(c: Client, q: string): Promise<Trend> {
  const res = await c.get(`/api/v1/points/booster.co/trend?${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Trend;
}

describe('trends from a real InfluxDB 1.6 (InfluxQL), falling back to the local history', () => {
  let influx: InfluxDb1Server;
  let plant: Plant;
  beforeAll(async () => {
    influx = await InfluxDb1Server.start();
    await influx.query('CREATE DATABASE plant');
    const w = await fetch(`${influx.url}/write?db=plant`, { method: 'POST', body: pastLines() });
    expect(w.status).toBe(204);
    plant = await startPlant({ influx: { api: 'v1', url: influx.url, database: 'plant', flushInterval: '200ms' } });
    plant.setCo(42);
  }, 90_000);
  afterAll(async () => {
    await plant?.stop();
    await influx?.process.dispose();
  });

  it('reads a past window from InfluxDB in buckets with extremes and bad quality', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const raw = await trend(c, `from=${PAST}&to=${PAST + 100 * MIN}&maxPoints=10`);
    expect(raw.source).toBe('influxdb');
    expect(raw.samples.map((s) => s.value)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(raw.samples.map((s) => s.bad)).toEqual([false, false, false, false, false, false, false, false, false, true]);
    expect(raw.samples[0]!.ts).toBe(PAST);
    expect((await trend(c, `from=${PAST}&to=${PAST + 200 * MIN}&maxPoints=10`)).samples).toEqual(BUCKETS);
  }, 60_000);

  it('reads what the gateway itself wrote (the sink’s tags and the query agree)', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const live = await waitFor(
      async () => {
        const t = await trend(c, `from=${Date.now() - 5 * MIN}&to=${Date.now() + 1000}`);
        return t.samples.some((s) => s.value === 42) ? t : undefined;
      },
      30_000,
      'the live CO value in the InfluxDB trend',
    );
    expect(live.source).toBe('influxdb');
  }, 60_000);

  it('falls back to the local history when InfluxDB is down, and says why', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    await influx.stop();
    const t = await trend(c, `from=${Date.now() - 5 * MIN}&to=${Date.now() + 1000}`);
    expect(t.source).toBe('local');
    expect(t.fallback).toMatch(/fetch failed|ECONNREFUSED|InfluxDB/);
    expect(t.samples.at(-1)!.value).toBe(42);
    expect(plant.gateway.metrics.counter('api_trend_fallbacks')).toBeGreaterThanOrEqual(1);
    await influx.start();
  }, 60_000);
});

describe('trends from a real VictoriaMetrics (PromQL over what the v2 writes stored)', () => {
  let vm: VictoriaMetricsServer;
  let plant: Plant;
  beforeAll(async () => {
    vm = await VictoriaMetricsServer.start();
    const w = await fetch(`${vm.url}/write`, { method: 'POST', body: pastLines() });
    expect(w.status).toBe(204);
    plant = await startPlant({ influx: { api: 'v2', url: vm.url, bucket: 'plant', trends: 'promql', flushInterval: '200ms' } });
    plant.setCo(42);
    await vm.flush();
  }, 90_000);
  afterAll(async () => {
    await plant?.stop();
    await vm?.process.dispose();
  });

  it('reads a past window in buckets with extremes and bad quality, and the gateway’s own writes', async () => {
    const c = await Client.login(plant.app, 'viewer1');
    const buckets = await trend(c, `from=${PAST}&to=${PAST + 200 * MIN}&maxPoints=10`);
    expect(buckets.source).toBe('victoriametrics');
    expect(buckets.samples).toEqual(BUCKETS);
    await waitFor(
      async () => {
        await vm.flush();
        const t = await trend(c, `from=${Date.now() - 5 * MIN}&to=${Date.now() + 1000}`);
        return t.source === 'victoriametrics' && t.samples.some((s) => s.value === 42);
      },
      30_000,
      'the live CO value in the VictoriaMetrics trend',
    );
  }, 90_000);
});
