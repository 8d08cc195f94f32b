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
import type { TierFigures } from '../../../../gateway/services/centre/tier-figures.js';
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
const PROVINCE = code('11350000MB0000003');

/**
 * The tiers form a tree: a real enterprise gateway uplinks to a county centre (topics safety/…), the
 * county centre uplinks its summary to a city centre (topics city/…), the city its aggregate to a
 * province centre (topics prov/…), all through one mosquitto.
 */
describe('centre tiers: enterprise → county → city → province', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-centre-summary-'));
  const plc = new RegisterServer();
  let broker: MosquittoServer;
  let county: Gateway | undefined;
  let city: Gateway;
  let province: Gateway;
  let ent: Gateway;
  let cityCentre: CentreService;
  let provinceCentre: CentreService;

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
    for (const tier of ['province', 'city']) {
      const db = openDatabase(join(dir, tier, 'gateway.db'));
      const users = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
      await users.add({ name: 'viewer1', role: 'viewer', areas: ['*'], password: PASSWORD });
      await users.add({ name: 'eng1', role: 'engineer', areas: ['*'], password: PASSWORD });
      db.close();
    }
    const noRules = { offlineWarningAfter: '0s', unackedSeverity4After: '0s', repeatedAlarmCount: 0 };
    province = await start({
      gateway: { id: 'province-centre', enterprise: { name: '某省应急管理厅', creditCode: PROVINCE }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'province') },
      http: { port: 0 },
      devices: [],
      centre: { issuer: '某省应急管理厅监测中心', broker: { url: broker.url, clientId: 'province-centre-test', topic: 'prov/+/+/+' }, rules: noRules, summary: { staleAfter: '4s' } },
    });
    provinceCentre = province.service<CentreService>('centre')!;
    // The province registers the city centre through its API (an engineer may write the register).
    const eng = await Client.login(province.httpAddress!, 'eng1');
    const reg = await eng.post('/api/v1/centre/centres', { kind: 'centre', code: CITY, name: '某市应急管理局监测中心', regionCode: '350100', level: 'city', gateways: ['city-centre'] });
    if (reg.status !== 200) throw new Error(`registering the city: ${reg.status} ${await reg.text()}`);

    city = await start({
      gateway: { id: 'city-centre', enterprise: { name: '某市应急管理局', creditCode: CITY }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'city') },
      http: { port: 0 },
      devices: [],
      centre: { issuer: '某市应急管理局监测中心', broker: { url: broker.url, clientId: 'city-centre-test', topic: 'city/+/+/+' }, rules: noRules, summary: { period: '500ms', staleAfter: '4s' } },
      uplink: {
        targets: [
          {
            name: 'province',
            transport: { profile: 'mqtt', url: broker.url, clientId: 'city-centre-province', topic: 'prov/{enterpriseCode}/{gatewayCode}/{type}', ackTimeout: '2s', connectTimeout: '1s' },
            points: [{ point: 'gateway.centre.broker_connected', code: 'CENTRE-INTAKE' }],
            snapshotPeriod: '1s',
            heartbeatPeriod: '1s',
            retry: { initialDelay: '100ms', maxDelay: '300ms' },
          },
        ],
      },
    });
    cityCentre = city.service<CentreService>('centre')!;
    // Each county centre is a centre of the register of the tier above, by its code and gateway.
    cityCentre.register.upsertCentre({ kind: 'centre', code: COUNTY, name: '某县应急管理局监测中心', regionCode: '350121', level: 'county', gateways: ['county-350121'] }, Date.now());

    county = await start({
      gateway: { id: 'county-350121', enterprise: { name: '某县应急管理局', creditCode: COUNTY }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'county') },
      devices: [],
      centre: {
        issuer: '某县应急管理局监测中心',
        broker: { url: broker.url, clientId: 'county-centre-test', topic: 'safety/+/+/+' },
        rules: noRules,
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
    await province?.stop();
    await broker?.dispose();
    await plc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const latest = (): CentreSummary | undefined => cityCentre.intake.summaries.get(COUNTY)?.summary;

  it('registers a centre through the API without a grade or an industry, and audits it', async () => {
    const eng = await Client.login(province.httpAddress!, 'eng1');
    const other = code('11350200MB0000004');
    const withGrade = await eng.post('/api/v1/centre/centres', { kind: 'centre', code: other, name: '另一市', regionCode: '350200', level: 'city', grade: 'A' });
    expect(withGrade.status).toBe(400);
    expect(await withGrade.text()).toContain('grade');
    const badRegion = await eng.post('/api/v1/centre/centres', { kind: 'centre', code: other, name: '另一市', regionCode: '35', level: 'city' });
    expect(badRegion.status).toBe(400);
    expect(await badRegion.text()).toContain('regionCode');
    expect(provinceCentre.register.centres().map((c) => c.code)).toEqual([CITY]);
    const viewer = await Client.login(province.httpAddress!, 'viewer1');
    const doc = (await (await viewer.get('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.paths['/api/v1/centre/centres']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: expect.arrayContaining(['kind', 'code', 'regionCode', 'level']) } } } });
    expect((await viewer.post('/api/v1/centre/centres', { kind: 'centre', code: other, name: '另一市', regionCode: '350200', level: 'city' })).status).toBe(403);
    const db = openDatabase(join(dir, 'province', 'gateway.db'));
    try {
      expect(db.prepare("SELECT user, target FROM security_audit WHERE action = 'centre.subordinate.add'").all()).toEqual([{ user: 'eng1', target: CITY }]);
    } finally {
      db.close();
    }
  });

  it('counts the enterprise under the county at the city and at the province, not the centres themselves', async () => {
    plc.bank(1).write('holding', 0, 200, 'uint16');
    const s = await waitFor(
      () => {
        const x = latest();
        return x && x.online === 1 && x.perEnterprise[0]?.activeAlarms[3] && x.perEnterprise[0].lastDataTime !== null ? x : undefined;
      },
      30_000,
      'a county summary with the enterprise online, its data and its HH alarm',
    );
    expect(s).toMatchObject({ issuer: '某县应急管理局监测中心', enterprises: 1, obliged: 1, connected: 1, online: 1, connectionRate: 1, onlineRate: 1, points: 1, perCentre: [], stale: { centres: [], enterprises: 0 } });
    expect(s.perEnterprise).toEqual([expect.objectContaining({ code: ENT, name: '甲钢铁有限公司', grade: 'B', online: true, hiddenDangersOpen: 0, hiddenDangersOverdue: 0 })]);
    // The county centre's gateway is online at the city, and its own intake link is a point there.
    expect(cityCentre.figures.link(cityCentre.register.centre(COUNTY)!).online).toBe(true);
    await waitFor(() => cityCentre.intake.latest.get(COUNTY)?.get('CENTRE-INTAKE')?.value === true, 15_000, 'the county intake link point at the city');

    // The city counts the county's enterprise, not the county: no enterprise of its own, one centre below.
    const cityViewer = await Client.login(city.httpAddress!, 'viewer1');
    const cityFigures = (await (await cityViewer.get('/api/v1/centre/figures')).json()) as TierFigures;
    expect(cityFigures).toMatchObject({ enterprises: 1, obliged: 1, connected: 1, online: 1, connectionRate: 1, onlineRate: 1, points: 1, own: { enterprises: 0 }, centres: { registered: 1, live: 1, stale: 0 } });
    expect(cityFigures.alarmsToday[3]).toBeGreaterThanOrEqual(1);
    expect(((await (await cityViewer.get('/api/v1/centre/enterprises')).json()) as { enterprises: unknown[] }).enterprises).toEqual([]);
    const subs = (await (await cityViewer.get('/api/v1/centre/subordinates')).json()) as { total: TierFigures; subordinates: { code: string; name: string; level: string; online: boolean; stale: boolean; latest: { summary: CentreSummary } }[] };
    expect(subs.total).toMatchObject({ enterprises: 1, connectionRate: 1 });
    expect(subs.subordinates).toEqual([expect.objectContaining({ code: COUNTY, name: '某县应急管理局监测中心', level: 'county', online: true, stale: false })]);
    expect(subs.subordinates[0]!.latest.summary.perEnterprise[0]).toMatchObject({ code: ENT, grade: 'B' });
    // The city's daily report (日报) has the county's latest summary and the tier totals; an earlier
    // day's report says it has none (summaries are kept as the latest only) instead of showing today's.
    const report = (await (await cityViewer.get('/api/v1/centre/report/daily')).json()) as { rows: unknown[]; centresBelow: { total: object; perCentre: object[]; stale: { centres: unknown[] } } };
    expect(report.rows).toEqual([]);
    expect(report.centresBelow.total).toMatchObject({ enterprises: 1, obliged: 1, connected: 1, online: 1, connectionRate: 1 });
    expect(report.centresBelow.perCentre).toEqual([expect.objectContaining({ code: COUNTY, name: '某县应急管理局监测中心', level: 'county', stale: false, enterprises: 1, connected: 1 })]);
    expect(report.centresBelow.stale.centres).toEqual([]);
    const csv = await (await cityViewer.get('/api/v1/centre/report/daily.csv')).text();
    expect(csv).toMatch(new RegExp(`\\n${COUNTY},某县应急管理局监测中心,县级,\\d{6},在线,[^,]+,1,1,1,1,100\\.0%,100\\.0%,`));
    expect(csv).toMatch(/\n合计,本级直管企业与未超时的下级中心,,,,,1,1,1,1,100\.0%,/);
    const earlier = (await (await cityViewer.get('/api/v1/centre/report/daily?date=2020-01-02')).json()) as { centresBelow: { omitted?: string; perCentre?: unknown } };
    expect(earlier.centresBelow).toEqual({ omitted: expect.stringContaining('往日日报不含下级中心') });

    // The city sends that aggregate on: the province counts the enterprise two tiers down.
    const prov = await waitFor(
      () => {
        const f = provinceCentre.tier.figures(Date.now());
        return f.enterprises === 1 && f.online === 1 && f.alarmsToday[3] >= 1 ? f : undefined;
      },
      30_000,
      'the province counting the enterprise under the county under the city',
    );
    expect(prov).toMatchObject({ obliged: 1, connected: 1, connectionRate: 1, onlineRate: 1, points: 1, own: { enterprises: 0 }, centres: { registered: 1, live: 1, stale: 0 }, byGrade: { A: 0, B: 1, C: 0, D: 0 }, stale: { centres: [], enterprises: 0 } });
    expect(prov.perCentre).toEqual([expect.objectContaining({ code: CITY, level: 'city', linkOnline: true, stale: false, enterprises: 1 })]);
    // Its drill-down: the city's summary carries the county with its totals.
    const citySummary = provinceCentre.intake.summaries.get(CITY)!.summary;
    expect(citySummary.perEnterprise).toEqual([]);
    expect(citySummary.perCentre).toEqual([expect.objectContaining({ code: COUNTY, name: '某县应急管理局监测中心', level: 'county', stale: false, enterprises: 1, connected: 1, obliged: 1 })]);

    // The alarm clears at the enterprise: the next summaries say so, up to the province.
    plc.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(() => latest()?.perEnterprise[0]?.activeAlarms[3] === 0, 30_000, 'the cleared alarm in a later county summary');
  }, 90_000);

  it('drills from the province to the city to the county’s totals in a browser; the city lists its centres apart from enterprises', async () => {
    const artifacts = join(process.cwd(), 'tests', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      const login = async (address: string) => {
        const page = await ctx.newPage();
        await page.goto(address + '/centre/');
        await page.fill('input[name=name]', 'viewer1');
        await page.fill('input[name=password]', PASSWORD);
        await page.click('form#login button');
        await page.waitForSelector('.figures');
        return page;
      };
      // The city's own page: the county in the 下级监测中心 section, the totals counting its enterprise.
      const cityPage = await login(city.httpAddress!);
      await cityPage.waitForSelector(`#grid-centres tr.centre-row[data-code="${COUNTY}"]`);
      expect(await cityPage.textContent(`#grid-centres tr.centre-row[data-code="${COUNTY}"]`)).toContain('100.0%（1/1）');
      expect(await cityPage.textContent('.tier-note')).toContain('本级直管企业 0 家 + 1 个下级中心最新汇总（共 1 家企业）');
      await cityPage.screenshot({ path: join(artifacts, 'centre-tiers-city.png'), fullPage: true });
      // Its daily report (日报) lists the county with its latest summary and the tier totals.
      await cityPage.goto(city.httpAddress! + '/centre/#/report');
      await cityPage.waitForSelector(`#report-centres tr.centre-row[data-code="${COUNTY}"]`);
      expect(await cityPage.textContent(`#report-centres tr.centre-row[data-code="${COUNTY}"]`)).toContain('100.0%（1/1）');
      expect(await cityPage.textContent('#report-centres tr.total')).toContain('本级直管企业与未超时的下级中心');
      await cityPage.screenshot({ path: join(artifacts, 'centre-tiers-city-report.png'), fullPage: true });
      await cityPage.close();

      const page = await login(province.httpAddress!);
      await page.click('a[href="#/subordinates"]');
      await page.waitForSelector(`#subordinates tr.centre-row[data-code="${CITY}"]`);
      const row = await page.textContent(`#subordinates tr.centre-row[data-code="${CITY}"]`);
      expect(row).toContain('某市应急管理局监测中心');
      expect(row).toContain('市级');
      expect(row).toContain('100.0%（1/1）');
      expect(await page.textContent('#subordinates tr.total')).toContain('本级直管企业 0 家 + 1 个下级中心');
      await page.click(`#subordinates tr.centre-row[data-code="${CITY}"] a`);
      await page.waitForSelector(`#sub-centres tr.centre-row[data-code="${COUNTY}"]`);
      const county = await page.textContent(`#sub-centres tr.centre-row[data-code="${COUNTY}"]`);
      expect(county).toContain('某县应急管理局监测中心');
      expect(county).toContain('县级');
      expect(county).toContain('350121');
      expect(county).toContain('100.0%（1/1）');
      expect(await page.textContent('#centre-title')).toContain('某市应急管理局监测中心');
      await page.screenshot({ path: join(artifacts, 'centre-tiers-province.png'), fullPage: true });
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

  it('shows a county that went silent as stale at the city and at the province, out of their totals', async () => {
    await county!.stop();
    county = undefined;
    const atCity = await waitFor(
      () => {
        const f = cityCentre.tier.figures(Date.now());
        return f.centres.stale === 1 ? f : undefined;
      },
      20_000,
      'the county stale at the city',
    );
    expect(atCity).toMatchObject({ enterprises: 0, obliged: 0, connectionRate: null, centres: { registered: 1, live: 0, stale: 1 }, stale: { centres: [{ code: COUNTY, name: '某县应急管理局监测中心' }], enterprises: 1 } });
    expect(atCity.stale.centres[0]!.lastSummaryAt).toBeLessThan(Date.now() - 4000);
    // The city is still live at the province, and passes the silent county on as stale.
    const atProvince = await waitFor(
      () => {
        const f = provinceCentre.tier.figures(Date.now());
        return f.stale.centres.length === 1 ? f : undefined;
      },
      20_000,
      'the county stale at the province',
    );
    expect(atProvince).toMatchObject({ enterprises: 0, centres: { registered: 1, live: 1, stale: 0 }, stale: { centres: [{ code: COUNTY }], enterprises: 1 } });
    expect(atProvince.perCentre[0]).toMatchObject({ code: CITY, stale: false, enterprises: 0 });
    expect(provinceCentre.intake.summaries.get(CITY)!.summary.perCentre).toEqual([expect.objectContaining({ code: COUNTY, stale: true })]);
    // The province's API says the same.
    const viewer = await Client.login(province.httpAddress!, 'viewer1');
    const f = (await (await viewer.get('/api/v1/centre/figures')).json()) as TierFigures;
    expect(f.stale).toMatchObject({ centres: [{ code: COUNTY }], enterprises: 1 });

    // And the province's console: the county named as 超时未报 on the list and in the city's drill-down.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
      await page.goto(province.httpAddress! + '/centre/');
      await page.fill('input[name=name]', 'viewer1');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('form#login button');
      await page.waitForSelector('.figures');
      await page.click('a[href="#/subordinates"]');
      await page.waitForSelector('#subordinates');
      expect(await page.textContent('.stale-note')).toContain('某县应急管理局监测中心');
      await page.click(`#subordinates tr.centre-row[data-code="${CITY}"] a`);
      await page.waitForSelector(`#sub-centres tr.is-stale[data-code="${COUNTY}"]`);
      expect(await page.textContent(`#sub-centres tr.is-stale[data-code="${COUNTY}"]`)).toContain('超时未报');
      await page.screenshot({ path: join(process.cwd(), 'tests', 'artifacts', 'centre-tiers-stale.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
