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
import { platformWarningSchema, type PlatformWarning } from '../../../../gateway/core/platform-warning.js';
import type { CentreService } from '../../../../gateway/services/centre/service.js';
import type { CentreEvent } from '../../../../gateway/services/centre/intake.js';
import { RegisterServer } from '../../../../simulators/modbus/register-server.js';
import { MosquittoServer } from '../../../helpers/mosquitto.js';
import { UserStore } from '../../../../gateway/auth/user-store.js';
import { openDatabase } from '../../../../gateway/store/database.js';
import { Client, PASSWORD } from '../api/harness.js';
import { freePort, waitFor } from '../../../helpers/ports.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const ENT_A = code('91350100M000100Y4');
const ENT_B = code('91350100MA2XY0123');

/**
 * Two real enterprise gateways (Modbus simulators, county target over MQTT) uplink through a real
 * mosquitto to a third gateway in the centre role.
 */
describe('centre role: two enterprise gateways through mosquitto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-centre-'));
  const plcA = new RegisterServer();
  const plcB = new RegisterServer();
  let broker: MosquittoServer;
  let centreGw: Gateway;
  let centre: CentreService;
  let gwA: Gateway;
  let gwB: Gateway;
  const events: CentreEvent[] = [];

  const plcPorts = new Map<RegisterServer, number>();
  async function enterpriseGateway(id: string, ent: string, plc: RegisterServer): Promise<Gateway> {
    const port = plcPorts.get(plc)!;
    const parsed = validateConfig({
      gateway: { id, enterprise: { name: `企业${id}`, creditCode: ent }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, id) },
      devices: [
        {
          id: 'plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port,
          pollInterval: '100ms',
          points: [{ id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', unit: 'ppm', table: 'holding', address: 0, limits: { preset: 'CO_GAS_AREA' } }],
        },
      ],
      uplink: {
        targets: [
          {
            name: 'county',
            transport: { profile: 'mqtt', url: broker.url, clientId: `${id}-county`, ackTimeout: '2s', connectTimeout: '1s' },
            points: [{ point: 'booster.co', code: 'CO-2002-01', name: '加压机房CO' }],
            snapshotPeriod: '500ms',
            heartbeatPeriod: '500ms',
            linkDownAlarmAfter: '1s',
            alarmEvents: 'all',
            replayRate: 0,
            retry: { initialDelay: '100ms', maxDelay: '300ms' },
          },
        ],
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const g = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await g.start();
    return g;
  }

  beforeAll(async () => {
    plcPorts.set(plcA, await plcA.start());
    plcPorts.set(plcB, await plcB.start());
    broker = await MosquittoServer.start();
    const db = openDatabase(join(dir, 'centre', 'gateway.db'));
    const users = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
    for (const u of [{ name: 'viewer1', role: 'viewer' as const }, { name: 'op1', role: 'operator' as const }, { name: 'head1', role: 'supervisor' as const }]) await users.add({ ...u, areas: ['*'], password: PASSWORD });
    db.close();
    const parsed = validateConfig({
      gateway: { id: 'county-centre', enterprise: { name: '某县应急管理局', creditCode: code('11350100MB0000001') }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'centre') },
      http: { port: 0 },
      devices: [],
      centre: {
        issuer: '某县应急管理局监测中心',
        broker: { url: broker.url, clientId: 'county-centre-test' },
        offlineAfter: '2s',
        rules: { offlineWarningAfter: '3s', unackedSeverity4After: '0s', repeatedAlarmCount: 0, evaluateEvery: '500ms', feedbackWithin: '1h' },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    centreGw = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await centreGw.start();
    centre = centreGw.service<CentreService>('centre')!;
    centre.intake.events$.subscribe((e) => events.push(e));
    centre.register.upsert({ code: ENT_A, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, '张科长', Date.now());
    centre.register.upsert({ code: ENT_B, name: '乙粉末冶金有限公司', industry: 'dust_explosion', dustType: 'metal', town: '东湖镇', gateways: ['gw-b'] }, '张科长', Date.now());
    gwA = await enterpriseGateway('gw-a', ENT_A, plcA);
    gwB = await enterpriseGateway('gw-b', ENT_B, plcB);
  }, 90_000);

  afterAll(async () => {
    await gwA?.stop();
    await gwB?.stop();
    await centreGw?.stop();
    await broker?.dispose();
    await plcA.stop();
    await plcB.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = (ent: string) => centre.figures.status(centre.register.get(ent)!, Date.now());

  it('sees both enterprises online with fresh data, and counts them in the county figures', async () => {
    plcA.bank(1).write('holding', 0, 5, 'uint16');
    plcB.bank(1).write('holding', 0, 6, 'uint16');
    await waitFor(() => status(ENT_A).online && status(ENT_B).online && status(ENT_A).freshGoodShare === 1 && status(ENT_B).freshGoodShare === 1, 20_000, 'both online with fresh data');
    expect(centre.intake.latest.get(ENT_A)?.get('CO-2002-01')?.value).toBe(5);
    expect(centre.intake.pointInfo.get(ENT_A)?.get('CO-2002-01')?.name).toBe('加压机房CO');
    const county = centre.figures.county(Date.now());
    expect(county).toMatchObject({ enterprises: 2, obliged: 2, connected: 2, online: 2, connectionRate: 1, onlineRate: 1 });
  }, 30_000);

  it('shows an enterprise alarm as that enterprise’s alarm, not as a process alarm of the centre', async () => {
    plcA.bank(1).write('holding', 0, 200, 'uint16');
    const ev = await waitFor(() => events.find((e) => e.kind === 'alarm' && e.alarm.enterpriseCode === ENT_A && e.alarm.alarmType === 'HH' && e.alarm.active), 15_000, 'HH of A at the centre');
    expect(ev.kind === 'alarm' && ev.alarm.level).toBe(3);
    expect(status(ENT_A).activeAlarms[3]).toBeGreaterThanOrEqual(1);
    expect(centreGw.alarms.annunciated().filter((a) => a.alarmId.includes('CO-2002-01') || a.alarmId.includes('booster'))).toEqual([]);
    plcA.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(() => [...(centre.intake.alarms.get(ENT_A)?.values() ?? [])].every((a) => !a.active), 15_000, 'the HH of A cleared at the centre');
    expect(centre.figures.county(Date.now()).alarmsToday[3]).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('replays an outage into history without a live alarm', async () => {
    await broker.stop();
    // During the outage A raises and clears an HH alarm: both are queued at the enterprise.
    plcA.bank(1).write('holding', 0, 210, 'uint16');
    await waitFor(() => gwA.alarms.get('booster.co:HH').facts.active, 10_000, 'HH active at A');
    // Long enough for a realtime snapshot (every 500 ms) to carry the high value into the queue.
    await new Promise((r) => setTimeout(r, 1500));
    plcA.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(() => !gwA.alarms.get('booster.co:HH').facts.active, 10_000, 'HH cleared at A');
    const liveBefore = events.filter((e) => e.kind === 'alarm').length;
    await broker.start();
    await waitFor(() => centre.figures.alarmLog(ENT_A, 0, Date.now()).some((r) => r.historical && r.alarmType === 'HH' && r.active), 30_000, 'the replayed HH in the alarm log');
    await waitFor(() => centre.figures.alarmLog(ENT_A, 0, Date.now()).some((r) => r.historical && r.alarmType === 'HH' && !r.active), 30_000, 'the replayed clear in the alarm log');
    // No live alarm event came from the replay, and nothing is active at the centre.
    expect(events.filter((e) => e.kind === 'alarm').length).toBe(liveBefore);
    expect([...(centre.intake.alarms.get(ENT_A)?.values() ?? [])].filter((a) => a.active)).toEqual([]);
    await waitFor(() => status(ENT_A).online && status(ENT_B).online, 20_000, 'both online again');
  }, 60_000);

  it('takes B offline when its gateway stops, warns it on its MQTT topic, tracks the feedback, and sees it online after a start', async () => {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'enterprise-b-listener' });
    const warnings: PlatformWarning[] = [];
    sub.on('message', (_t, p) => warnings.push(platformWarningSchema.parse(JSON.parse(p.toString('utf8')))));
    await sub.subscribeAsync(`safety/${ENT_B}/gw-b/warning`, { qos: 1 });
    await gwB.stop();
    await waitFor(() => !status(ENT_B).online, 10_000, 'B offline');
    expect(events.some((e) => e.kind === 'online' && e.enterpriseCode === ENT_B && !e.online)).toBe(true);
    const w = await waitFor(() => warnings.find((x) => x.kind === 'offline'), 15_000, 'an offline warning on B’s topic');
    expect(w).toMatchObject({ enterpriseCode: ENT_B, gatewayCode: 'gw-b', issuer: '某县应急管理局监测中心', level: 2 });
    expect(w.title).toContain('企业离线');
    expect(centre.warnings.get(w.warningId, Date.now())).toMatchObject({ status: 'pending', track: 'pending' });
    expect(centre.figures.county(Date.now()).onlineRate).toBe(0.5);

    // The enterprise's feedback comes up as a warning_feedback envelope.
    const feedback = { warningId: w.warningId, state: 'answered', content: '交换机断电，已恢复供电', handledBy: '李工', at: Date.now() };
    await sub.publishAsync(
      `safety/${ENT_B}/gw-b/warning_feedback`,
      JSON.stringify({ dataId: crypto.randomUUID(), seq: 1_000_000, type: 'warning_feedback', enterpriseCode: ENT_B, gatewayCode: 'gw-b', timestamp: Date.now(), historical: false, items: [], warningFeedback: feedback }),
      { qos: 1 },
    );
    await waitFor(() => centre.warnings.get(w.warningId, Date.now())?.status === 'answered', 10_000, 'the warning answered');
    expect(centre.warnings.get(w.warningId, Date.now())?.feedback?.content).toBe('交换机断电，已恢复供电');
    await sub.endAsync();

    gwB = await enterpriseGateway('gw-b', ENT_B, plcB);
    await waitFor(() => status(ENT_B).online, 15_000, 'B online again');
    // One outage, one warning.
    expect(centre.warnings.list(Date.now(), { enterpriseCode: ENT_B }).filter((x) => x.warning.kind === 'offline')).toHaveLength(1);
  }, 60_000);

  it('audits a grade change with who, when and why', () => {
    const at = Date.now();
    centre.register.setGrade(ENT_A, 'A', '王主任', '2 次重大报警未确认，升为红色', at);
    expect(centre.register.get(ENT_A)?.grade).toBe('A');
    expect(centre.register.gradeHistory(ENT_A)).toEqual([
      expect.objectContaining({ from: null, to: 'D', user: '张科长', reason: '登记' }),
      { enterpriseCode: ENT_A, from: 'D', to: 'A', user: '王主任', reason: '2 次重大报警未确认，升为红色', at },
    ]);
    expect(() => centre.register.setGrade(ENT_A, 'B', '王主任', '', at)).toThrow();
    expect(centre.register.get(ENT_A)?.grade).toBe('A');
  });

  it('serves the register, drill-down, figures, warnings and the daily report by role over the API', async () => {
    const base = centreGw.httpAddress!;
    const viewer = await Client.login(base, 'viewer1');
    const op = await Client.login(base, 'op1');
    const head = await Client.login(base, 'head1');
    const list = (await (await viewer.request('GET', '/api/v1/centre/enterprises?town=%E4%B8%9C%E6%B9%96%E9%95%87')).json()) as { enterprises: { code: string; online: boolean }[] };
    expect(list.enterprises.map((e) => e.code)).toEqual([ENT_B]);
    expect((await viewer.request('GET', '/api/v1/centre/enterprises?grade=E')).status).toBe(400);

    const detail = (await (await viewer.request('GET', `/api/v1/centre/enterprises/${ENT_A}`)).json()) as { points: { code: string; latest: { value: number } | null }[]; gradeHistory: unknown[] };
    expect(detail.points.map((p) => p.code)).toEqual(['CO-2002-01']);
    const trend = (await (await viewer.request('GET', `/api/v1/centre/enterprises/${ENT_A}/trend?point=CO-2002-01&from=0`)).json()) as { samples: { ts: number; value: number }[] };
    expect(trend.samples.length).toBeGreaterThan(0);
    // Replayed snapshots were applied (to history only). Which of their values the one-a-minute
    // downsampling keeps depends on timing, so no particular value is asserted.
    expect(centreGw.metrics.counter('centre_replayed_total')).toBeGreaterThan(0);
    const log = (await (await viewer.request('GET', `/api/v1/centre/enterprises/${ENT_A}/alarms?since=0`)).json()) as { events: { historical: boolean }[] };
    expect(log.events.some((e) => e.historical)).toBe(true);

    // Grading: the head of the centre may, an officer on duty may not; a reason is required.
    expect((await op.request('POST', `/api/v1/centre/enterprises/${ENT_B}/grade`, { grade: 'B', reason: '粉尘浓度多次超限' })).status).toBe(403);
    expect((await head.request('POST', `/api/v1/centre/enterprises/${ENT_B}/grade`, { grade: 'B' })).status).toBe(400);
    const graded = await head.request('POST', `/api/v1/centre/enterprises/${ENT_B}/grade`, { grade: 'B', reason: '粉尘浓度多次超限' });
    expect(graded.status).toBe(200);
    expect(centre.register.gradeHistory(ENT_B).at(-1)).toMatchObject({ from: 'D', to: 'B', user: 'head1', reason: '粉尘浓度多次超限' });

    // A manual warning by an officer goes down and is tracked.
    const manual = await op.request('POST', '/api/v1/centre/warnings', { enterpriseCode: ENT_A, level: 3, title: '请核查加压机房CO报警', content: '请于今日内核查并反馈。' });
    expect(manual.status).toBe(200);
    const warnings = (await (await viewer.request('GET', '/api/v1/centre/warnings')).json()) as { warnings: { trackName: string; kindName: string }[] };
    expect(warnings.warnings.map((w) => w.kindName)).toEqual(expect.arrayContaining(['企业离线', '人工下发']));
    expect((await viewer.request('POST', '/api/v1/centre/warnings', { enterpriseCode: ENT_A, level: 3, title: 'xx', content: 'yy' })).status).toBe(403);

    const figures = (await (await viewer.request('GET', '/api/v1/centre/figures')).json()) as { enterprises: number; byGrade: Record<string, number> };
    expect(figures).toMatchObject({ enterprises: 2 });
    const csv = await viewer.request('GET', '/api/v1/centre/report/daily.csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text).toContain('某县应急管理局监测中心 监测日报');
    expect(text).toContain('甲钢铁有限公司');
    expect(text).toContain('企业离线');
  }, 30_000);

  it('streams each enterprise alarm and online change with its badges (SSE), and replays what a reconnecting console missed', async () => {
    const base = centreGw.httpAddress!;
    expect((await fetch(`${base}/api/v1/centre/events`)).status).toBe(401);
    const viewer = await Client.login(base, 'viewer1');
    type Msg = { id: number; event: string; data: { enterpriseCode?: string; online?: boolean; activeAlarms?: Record<string, number>; activation?: boolean; alarm?: { alarmType: string; active: boolean } } };
    /** Opens the stream and reads messages until `until` holds; returns them and a way to close. */
    const read = async (headers: Record<string, string>, until: (m: Msg[]) => boolean): Promise<Msg[]> => {
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/v1/centre/events`, { headers: { cookie: viewer.cookie, ...headers }, signal: ctl.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = '';
      const msgs: Msg[] = [];
      const timer = setTimeout(() => ctl.abort(), 20_000);
      try {
        while (!until(msgs)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
          let i;
          while ((i = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, i);
            text = text.slice(i + 2);
            const m = /^id: (\d+)\nevent: (\w+)\ndata: (.*)$/m.exec(block);
            if (m) msgs.push({ id: Number(m[1]), event: m[2]!, data: JSON.parse(m[3]!) as Msg['data'] });
          }
        }
      } finally {
        clearTimeout(timer);
        ctl.abort();
      }
      return msgs;
    };
    const raisedAtA = (ms: Msg[]) => ms.find((m) => m.event === 'alarm' && m.data.enterpriseCode === ENT_A && m.data.activation === true && m.data.alarm?.alarmType === 'HH');
    const clearedAtA = (ms: Msg[]) => ms.find((m) => m.event === 'alarm' && m.data.enterpriseCode === ENT_A && m.data.alarm?.alarmType === 'HH' && m.data.alarm.active === false);
    // A fresh stream starts with hello at the newest id; the HH at A arrives with A's badges.
    const raise = setTimeout(() => plcA.bank(1).write('holding', 0, 230, 'uint16'), 300);
    const live = await read({}, (ms) => raisedAtA(ms) !== undefined);
    clearTimeout(raise);
    expect(live[0]!.event).toBe('hello');
    const raised = raisedAtA(live)!;
    expect(raised.id).toBeGreaterThan(live[0]!.id);
    expect(raised.data).toMatchObject({ online: true });
    expect(raised.data.activeAlarms![3]).toBeGreaterThanOrEqual(1);

    // The console is away while the alarm clears; back with Last-Event-ID it gets the clear, in id order.
    plcA.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(() => [...(centre.intake.alarms.get(ENT_A)?.values() ?? [])].every((a) => !a.active), 15_000, 'the HH of A cleared at the centre');
    const replayed = await read({ 'last-event-id': String(raised.id) }, (ms) => clearedAtA(ms) !== undefined);
    expect(replayed[0]!.id).toBe(raised.id + 1);
    expect(replayed.map((m) => m.id)).toEqual(replayed.map((_, i) => raised.id + 1 + i));
    expect(clearedAtA(replayed)!.data.activeAlarms![3]).toBe(0);
    // An id this stream never gave (from before a restart of the centre): reset, the console reloads.
    const stale = await read({ 'last-event-id': '5' }, (ms) => ms.length > 0);
    expect(stale[0]!.event).toBe('reset');
  }, 60_000);

  it('rejects hostile and malformed envelopes without effect', async () => {
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'hostile' });
    const before = { latest: centre.intake.latest.get(ENT_A)?.get('CO-2002-01')?.value, gateways: centre.intake.gateways.size };
    const m = centreGw.metrics;
    const rejected = (reason: string) => m.counter('centre_rejected_total', { reason });
    const base = { dataId: crypto.randomUUID(), seq: 9_999_999, type: 'realtime', enterpriseCode: ENT_A, gatewayCode: 'gw-a', timestamp: Date.now() + 60_000, historical: false };
    const item = { pointCode: 'CO-2002-01', value: 999, unit: 'ppm', quality: 'Good', time: Date.now() + 60_000, alarmLevel: 0 };
    const counts = { bad_json: rejected('bad_json'), bad_schema: rejected('bad_schema'), topic_mismatch: rejected('topic_mismatch'), unknown_enterprise: rejected('unknown_enterprise') };
    await pub.publishAsync(`safety/${ENT_A}/gw-a/realtime`, '{"dataId": "x", ', { qos: 1 });
    await pub.publishAsync(`safety/${ENT_A}/gw-a/realtime`, JSON.stringify({ ...base, items: [{ ...item, value: 'DROP TABLE' }] }), { qos: 1 });
    // B's client writing A's data on B's topic.
    await pub.publishAsync(`safety/${ENT_B}/gw-b/realtime`, JSON.stringify({ ...base, items: [item] }), { qos: 1 });
    const stranger = code('91110000MA0000001');
    await pub.publishAsync(`safety/${stranger}/gw-x/realtime`, JSON.stringify({ ...base, dataId: crypto.randomUUID(), enterpriseCode: stranger, gatewayCode: 'gw-x', items: [item] }), { qos: 1 });
    await waitFor(
      () => rejected('bad_json') > counts.bad_json && rejected('bad_schema') > counts.bad_schema && rejected('topic_mismatch') > counts.topic_mismatch && rejected('unknown_enterprise') > counts.unknown_enterprise,
      10_000,
      'four rejections counted',
    );
    expect(centre.intake.latest.get(ENT_A)?.get('CO-2002-01')?.value).not.toBe(999);
    expect(centre.intake.gateways.size).toBe(before.gateways);
    expect(centre.register.get(stranger)).toBeUndefined();
    // A type this centre does not know yet: counted and ignored.
    const unknownBefore = m.counter('centre_unknown_type_total');
    await pub.publishAsync(`safety/${ENT_A}/gw-a/energy`, JSON.stringify({ ...base, dataId: crypto.randomUUID(), type: 'energy', seq: 1, timestamp: 1, items: [] }), { qos: 1 });
    await waitFor(() => m.counter('centre_unknown_type_total') > unknownBefore || m.counter('centre_duplicates_total') > 0, 10_000, 'unknown type handled');
    await pub.endAsync();
    expect(before.latest).toBeDefined();
    expect(centreGw.alarms.annunciated().filter((a) => !a.alarmId.startsWith('gateway'))).toEqual([]);
  }, 30_000);

  it('shows the enterprise grid by grade with live alarm badges, filters, a drill-down and the daily report in a browser', async () => {
    const artifacts = join(process.cwd(), 'tests', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      const page = await ctx.newPage();
      await page.goto(centreGw.httpAddress! + '/centre/');
      await page.fill('input[name=name]', 'head1');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('form#login button');
      await page.waitForSelector('.tile');
      expect(await page.locator('.tile').count()).toBe(2);
      // Graded earlier in this file: A red for 甲, B orange for 乙.
      expect(await page.locator(`.tile.grade-A[data-code="${ENT_A}"]`).count()).toBe(1);
      expect(await page.locator(`.tile.grade-B[data-code="${ENT_B}"]`).count()).toBe(1);
      expect(await page.textContent('.figures')).toContain('联网率');

      // A live alarm at 甲 shows as an orange badge on its tile, from the live stream: the tile is
      // updated in place (the grid is not reloaded; its fallback reload is 30 s away).
      await page.waitForFunction(() => document.body.dataset.liveSeq !== undefined, undefined, { timeout: 10_000 });
      await page.evaluate(() => ((document.querySelector('#grid') as HTMLElement).dataset.marker = 'before-alarm'));
      plcA.bank(1).write('holding', 0, 220, 'uint16');
      await page.waitForSelector(`.tile[data-code="${ENT_A}"] .badge.sev3`, { timeout: 15_000 });
      expect(await page.getAttribute('#grid', 'data-marker')).toBe('before-alarm');
      expect(Number(await page.evaluate(() => document.body.dataset.liveSeq))).toBeGreaterThan(0);
      await page.screenshot({ path: join(artifacts, 'centre-grid.png') });

      await page.selectOption('#f-town', '东湖镇');
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 1);
      expect(await page.getAttribute('.tile', 'data-code')).toBe(ENT_B);
      await page.selectOption('#f-town', '');
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 2);

      await page.click(`.tile[data-code="${ENT_A}"]`);
      await page.waitForSelector('table#points');
      expect(await page.textContent('table#alarms')).toContain('HH');
      expect(await page.textContent('table#points')).toContain('CO-2002-01');
      await page.click('button[data-trend="CO-2002-01"]');
      await page.waitForSelector('#trend svg');
      await page.screenshot({ path: join(artifacts, 'centre-enterprise.png'), fullPage: true });

      await page.goto(centreGw.httpAddress! + '/centre/#/warnings');
      // Only the hash changes: the enterprise page has a warnings table too, so wait for this page's heading.
      await page.waitForSelector('h2:has-text("预警跟踪")');
      expect(await page.textContent('table.warnings')).toContain('已反馈');
      await page.goto(centreGw.httpAddress! + '/centre/#/report');
      await page.waitForSelector('table#report');
      expect(await page.textContent('h2')).toContain('监测日报');
      await page.emulateMedia({ media: 'print' });
      await page.screenshot({ path: join(artifacts, 'centre-daily-report.png'), fullPage: true });
    } finally {
      plcA.bank(1).write('holding', 0, 5, 'uint16');
      await browser.close();
    }
  }, 60_000);
});
