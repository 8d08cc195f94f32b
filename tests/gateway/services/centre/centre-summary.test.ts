import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../../gateway/runtime/gateway.js';
import { validateConfig } from '../../../../gateway/config/load.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { usccCheckChar } from '../../../../gateway/config/uscc.js';
import type { CentreService } from '../../../../gateway/services/centre/service.js';
import type { CentreSummary } from '../../../../gateway/uplink/summary.js';
import { RegisterServer } from '../../../../simulators/modbus/register-server.js';
import { MosquittoServer } from '../../../helpers/mosquitto.js';
import { UserStore } from '../../../../gateway/auth/user-store.js';
import { openDatabase } from '../../../../gateway/store/database.js';
import { Client, PASSWORD } from '../api/harness.js';
import { freePort, waitFor } from '../../../helpers/ports.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const ENT = code('91350100M000100Y4');
const COUNTY = code('11350121MB0000001');
const CITY = code('11350100MB0000002');

/**
 * The tiers form a tree: a real enterprise gateway uplinks to a county centre (topics safety/…), the
 * county centre uplinks its summary to a city centre (topics city/…), all through one mosquitto.
 */
describe('centre summary: a county centre uplinks to a city centre', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-centre-summary-'));
  const plc = new RegisterServer();
  let broker: MosquittoServer;
  let county: Gateway;
  let city: Gateway;
  let ent: Gateway;
  let cityCentre: CentreService;

  async function start(raw: unknown): Promise<Gateway> {
    const parsed = validateConfig(raw);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const g = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await g.start();
    return g;
  }

  beforeAll(async () => {
    const plcPort = await plc.start();
    broker = await MosquittoServer.start();
    const db = openDatabase(join(dir, 'city', 'gateway.db'));
    await new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } }).add({ name: 'viewer1', role: 'viewer', areas: ['*'], password: PASSWORD });
    db.close();
    city = await start({
      gateway: { id: 'city-centre', enterprise: { name: '某市应急管理局', creditCode: CITY }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'city') },
      http: { port: 0 },
      devices: [],
      centre: { issuer: '某市应急管理局监测中心', broker: { url: broker.url, clientId: 'city-centre-test', topic: 'city/+/+/+' }, rules: { offlineWarningAfter: '0s', unackedSeverity4After: '0s', repeatedAlarmCount: 0 } },
    });
    cityCentre = city.service<CentreService>('centre')!;
    // Each county centre is a "gateway" of the tier above, registered by its code.
    cityCentre.register.upsert({ code: COUNTY, name: '某县应急管理局监测中心', industry: 'other', town: '某县', gateways: ['county-350121'] }, '市局管理员', Date.now());

    county = await start({
      gateway: { id: 'county-350121', enterprise: { name: '某县应急管理局', creditCode: COUNTY }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'county') },
      devices: [],
      centre: {
        issuer: '某县应急管理局监测中心',
        broker: { url: broker.url, clientId: 'county-centre-test', topic: 'safety/+/+/+' },
        rules: { offlineWarningAfter: '0s', unackedSeverity4After: '0s', repeatedAlarmCount: 0 },
        summary: { period: '500ms' },
      },
      uplink: {
        targets: [
          {
            name: 'city',
            transport: { profile: 'mqtt', url: broker.url, clientId: 'county-350121-city', topic: 'city/{enterpriseCode}/{gatewayCode}/{type}', ackTimeout: '2s', connectTimeout: '1s' },
            // The tier above also sees whether the county's own intake is connected.
            points: [{ point: 'gateway.centre.broker_connected', code: 'CENTRE-INTAKE' }],
            snapshotPeriod: '1s',
            heartbeatPeriod: '1s',
            retry: { initialDelay: '100ms', maxDelay: '300ms' },
          },
        ],
      },
    });
    county.service<CentreService>('centre')!.register.upsert({ code: ENT, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: ['gw-a'], grade: 'B' }, '县局', Date.now());

    ent = await start({
      gateway: { id: 'gw-a', enterprise: { name: '甲钢铁有限公司', creditCode: ENT }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'gw-a') },
      devices: [
        {
          id: 'plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port: plcPort,
          pollInterval: '100ms',
          points: [{ id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', unit: 'ppm', table: 'holding', address: 0, limits: { preset: 'CO_GAS_AREA' } }],
        },
      ],
      uplink: {
        targets: [
          {
            name: 'county',
            transport: { profile: 'mqtt', url: broker.url, clientId: 'gw-a-county', ackTimeout: '2s', connectTimeout: '1s' },
            points: [{ point: 'booster.co', code: 'CO-2002-01', name: '加压机房CO' }],
            snapshotPeriod: '500ms',
            heartbeatPeriod: '500ms',
            alarmEvents: 'all',
            retry: { initialDelay: '100ms', maxDelay: '300ms' },
          },
        ],
      },
    });
  }, 90_000);

  afterAll(async () => {
    await ent?.stop();
    await county?.stop();
    await city?.stop();
    await broker?.dispose();
    await plc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const latest = (): CentreSummary | undefined => cityCentre.intake.summaries.get(COUNTY)?.summary;

  it('shows the county’s figures and its enterprise’s live status and alarms at the city', async () => {
    plc.bank(1).write('holding', 0, 200, 'uint16');
    const s = await waitFor(
      () => {
        const x = latest();
        return x && x.online === 1 && x.perEnterprise[0]?.activeAlarms[3] && x.perEnterprise[0].lastDataTime !== null ? x : undefined;
      },
      30_000,
      'a summary with the enterprise online, its data and its HH alarm',
    );
    expect(s).toMatchObject({ issuer: '某县应急管理局监测中心', enterprises: 1, obliged: 1, connected: 1, online: 1, connectionRate: 1, onlineRate: 1 });
    expect(s.alarmsToday[3]).toBeGreaterThanOrEqual(1);
    expect(s.perEnterprise).toEqual([
      expect.objectContaining({ code: ENT, name: '甲钢铁有限公司', grade: 'B', online: true, hiddenDangersOpen: 0, hiddenDangersOverdue: 0 }),
    ]);
    expect(s.perEnterprise[0]!.lastDataTime).toBeGreaterThan(Date.now() - 60_000);
    // The county centre is a gateway of the city: online there, and its own intake link a point.
    expect(cityCentre.figures.status(cityCentre.register.get(COUNTY)!, Date.now()).online).toBe(true);
    await waitFor(() => cityCentre.intake.latest.get(COUNTY)?.get('CENTRE-INTAKE')?.value === true, 15_000, 'the county intake link point at the city');

    // The city's API lists the county with its latest summary.
    const viewer = await Client.login(city.httpAddress!, 'viewer1');
    const res = await viewer.get('/api/v1/centre/subordinates');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total: { centres: number; enterprises: number; connectionRate: number | null }; subordinates: { code: string; name: string; online: boolean; latest: { summary: CentreSummary } }[] };
    expect(body.subordinates).toHaveLength(1);
    expect(body.total).toMatchObject({ centres: 1, enterprises: 1, connectionRate: 1 });
    expect(body.subordinates[0]).toMatchObject({ code: COUNTY, name: '某县应急管理局监测中心', online: true });
    expect(body.subordinates[0]!.latest.summary.perEnterprise[0]).toMatchObject({ code: ENT, grade: 'B' });

    // The alarm clears at the enterprise: the next summaries say so.
    plc.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(() => latest()?.perEnterprise[0]?.activeAlarms[3] === 0, 30_000, 'the cleared alarm in a later summary');
  }, 60_000);

  it('shows the county and its enterprises on the city console’s 下级中心 page in a browser', async () => {
    const artifacts = join(process.cwd(), 'tests', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      const page = await ctx.newPage();
      await page.goto(city.httpAddress! + '/centre/');
      await page.fill('input[name=name]', 'viewer1');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('form#login button');
      await page.waitForSelector('.tile');
      await page.click('a[href="#/subordinates"]');
      await page.waitForSelector(`#subordinates tr.subordinate[data-code="${COUNTY}"]`);
      const row = await page.textContent(`#subordinates tr.subordinate[data-code="${COUNTY}"]`);
      expect(row).toContain('某县应急管理局监测中心');
      expect(row).toContain('100.0%（1/1）');
      const enterprises = await page.textContent('table.subordinate-enterprises');
      expect(enterprises).toContain('甲钢铁有限公司');
      expect(enterprises).toContain(ENT);
      await page.screenshot({ path: join(artifacts, 'centre-subordinates.png') });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('rejects and counts a malformed summary, and keeps the last good one', async () => {
    const before = latest()!;
    const rejected = city.metrics.counter('centre_rejected_total', { reason: 'bad_schema' });
    const client = await mqtt.connectAsync(broker.url, { clientId: 'hostile-county' });
    const header = { type: 'summary', enterpriseCode: COUNTY, gatewayCode: 'county-350121', timestamp: Date.now() + 60_000, historical: false, items: [] };
    const good = { ...before, at: Date.now() + 60_000 };
    const bad = [
      // A rate above 1.
      { ...header, dataId: crypto.randomUUID(), seq: 9_000_001, summary: { ...good, connectionRate: 3 } },
      // No summary document at all.
      { ...header, dataId: crypto.randomUUID(), seq: 9_000_002 },
      // An enterprise without its grade.
      { ...header, dataId: crypto.randomUUID(), seq: 9_000_003, summary: { ...good, perEnterprise: [{ ...before.perEnterprise[0], grade: undefined }] } },
    ];
    for (const b of bad) await client.publishAsync('city/' + COUNTY + '/county-350121/summary', JSON.stringify(b), { qos: 1 });
    await client.endAsync();
    await waitFor(() => city.metrics.counter('centre_rejected_total', { reason: 'bad_schema' }) >= rejected + 3, 10_000, 'three rejections');
    // None of them took effect: the summary held is a real one from the county, not the hostile "future" one.
    expect(latest()!.at).toBeLessThan(Date.now() + 30_000);
    expect(latest()!.connectionRate).toBe(1);
  }, 30_000);
});
