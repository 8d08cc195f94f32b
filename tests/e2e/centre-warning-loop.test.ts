import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../gateway/auth/user-store.js';
import { validateConfig } from '../../gateway/config/load.js';
import type { GatewayConfig } from '../../gateway/config/schema.js';
import { usccCheckChar } from '../../gateway/config/uscc.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { PlatformWarning } from '../../gateway/core/platform-warning.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import type { CentreService } from '../../gateway/services/centre/service.js';
import { openDatabase } from '../../gateway/store/database.js';
import { RegisterServer } from '../../simulators/modbus/register-server.js';
import { Client, PASSWORD, USERS } from '../gateway/services/api/harness.js';
import { MosquittoServer } from '../helpers/mosquitto.js';
import { freePort, waitFor } from '../helpers/ports.js';

/**
 * Issue #16: "a centre warning reaches the enterprise console as a record and its feedback
 * returns". Two real gateways through a real mosquitto: an enterprise (Modbus simulator, county
 * uplink over MQTT with warnings on, hidden-danger service) and a county centre. An officer of the
 * centre issues a warning over the centre's API; the enterprise's API shows it as a 监测预警 record;
 * the enterprise's people close it over their API; the centre's tracking follows it to the answer
 * and the centre's count of the enterprise's open hidden dangers goes 1 → 0. Then the centre's own
 * rule (a red alarm left unacknowledged at the enterprise) raises a red warning that becomes a
 * 重大隐患 record at the enterprise.
 */

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const ENT = code('91350100M000100Y4');
const GATEWAY_ID = 'gw-loop';

interface Rec {
  id: string;
  state: string;
  dangerSrc: string;
  warningId?: string;
  area: string;
  dangerLevel: string;
  point?: string;
  equipment?: string;
}

interface Tracked {
  warning: PlatformWarning;
  status: string;
  track: string;
  trackName: string;
  publishedAt?: number;
  feedback: { state: string; content: string; handledBy: string; hazardId?: string } | null | undefined;
}

interface Detail {
  status: { hiddenDangersOpen: number; hiddenDangersOverdue: number };
  hiddenDangers: { dangerId: string; revision: number; state: string; warningId?: string }[];
  warnings: Tracked[];
}

async function ok<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Users of one gateway, written into its database before it starts (cheap hashes). */
async function seedUsers(dataDir: string, users: { name: string; role: (typeof USERS)[number]['role']; areas: string[] }[]): Promise<void> {
  const db = openDatabase(join(dataDir, 'gateway.db'));
  const store = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
  for (const u of users) await store.add({ ...u, password: PASSWORD });
  db.close();
}

describe('centre warning → enterprise record → feedback, through mosquitto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-centre-loop-'));
  const plc = new RegisterServer();
  let broker: MosquittoServer;
  let centreGw: Gateway;
  let entGw: Gateway;
  const centreUsers: Record<string, Client> = {};
  const entUsers: Record<string, Client> = {};
  let centreCfg: GatewayConfig;
  let entCfg: GatewayConfig;

  /** (Re)starts the centre on its data dir and logs its users in. */
  async function startCentre(): Promise<void> {
    centreGw = new Gateway({ config: centreCfg, log: silentLogger, write: () => undefined });
    await centreGw.start();
    for (const name of ['viewer1', 'op1']) centreUsers[name] = await Client.login(centreGw.httpAddress!, name);
  }

  /** (Re)starts the enterprise gateway on its data dir (same MQTT client id: its session keeps warnings) and logs its users in. */
  async function startEnterprise(): Promise<void> {
    entGw = new Gateway({ config: entCfg, log: silentLogger, write: () => undefined });
    await entGw.start();
    for (const name of ['op-gas', 'super1', 'eng1']) entUsers[name] = await Client.login(entGw.httpAddress!, name);
  }

  beforeAll(async () => {
    const plcPort = await plc.start();
    broker = await MosquittoServer.start();

    // The county centre: no automatic rules, so the only warning is the officer's.
    await seedUsers(join(dir, 'centre'), [
      { name: 'viewer1', role: 'viewer', areas: ['*'] },
      { name: 'op1', role: 'operator', areas: ['*'] },
    ]);
    const centreConfig = validateConfig({
      gateway: { id: 'county-centre', enterprise: { name: '某县应急管理局', creditCode: code('11350100MB0000001') }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'centre') },
      http: { port: 0 },
      devices: [],
      centre: {
        issuer: '某县应急管理局监测中心',
        broker: { url: broker.url, clientId: 'county-centre-loop' },
        offlineAfter: '5s',
        // Only the unacknowledged-red-alarm rule is on (2 s), so the first test's warning is the officer's.
        rules: { offlineWarningAfter: '0s', unackedSeverity4After: '2s', repeatedAlarmCount: 0, evaluateEvery: '500ms', feedbackWithin: '1h' },
      },
    });
    if (!centreConfig.ok) throw new Error(JSON.stringify(centreConfig.errors));
    centreCfg = centreConfig.config;
    await startCentre();

    // The enterprise: its PLC, the county target over MQTT with warnings on, the hidden-danger loop.
    await seedUsers(join(dir, 'ent'), USERS);
    const entConfig = validateConfig({
      gateway: { id: GATEWAY_ID, enterprise: { name: '甲钢铁有限公司', creditCode: ENT }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      http: { port: 0 },
      storage: { dataDir: join(dir, 'ent') },
      devices: [
        {
          id: 'plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port: plcPort,
          pollInterval: '100ms',
          points: [{ id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', area: 'gas', unit: 'ppm', range: { low: 0, high: 1000 }, table: 'holding', address: 0, limits: { H: { value: 24, severity: 2 }, HH: { value: 160, severity: 4 } } }],
        },
      ],
      uplink: {
        targets: [
          {
            name: 'county',
            transport: { profile: 'mqtt', url: broker.url, clientId: `${GATEWAY_ID}-county`, ackTimeout: '5s', connectTimeout: '2s', warnings: {} },
            points: [{ point: 'booster.co', code: 'CO-2002-01', name: '加压机房CO' }],
            alarmEvents: 'all',
            snapshotPeriod: '1s',
            heartbeatPeriod: '1s',
            replayRate: 0,
            retry: { initialDelay: '100ms', maxDelay: '500ms' },
          },
        ],
      },
      hiddenDanger: {
        rules: [],
        responsible: [{ area: 'gas', role: 'operator' }],
        warningArea: 'gas',
      },
    });
    if (!entConfig.ok) throw new Error(JSON.stringify(entConfig.errors));
    entCfg = entConfig.config;

    // The centre knows the enterprise and its gateway before the gateway first speaks.
    const centre = centreGw.service<CentreService>('centre')!;
    centre.register.upsert({ code: ENT, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: [GATEWAY_ID] }, '张科长', Date.now());
    await startEnterprise();
  }, 90_000);

  afterAll(async () => {
    await entGw?.stop();
    await centreGw?.stop();
    await broker?.dispose();
    await plc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const detail = async (): Promise<Detail> => ok<Detail>(await centreUsers['viewer1']!.get(`/api/v1/centre/enterprises/${ENT}`));
  const tracked = async (warningId: string): Promise<Tracked | undefined> =>
    (await ok<{ warnings: Tracked[] }>(await centreUsers['viewer1']!.get(`/api/v1/centre/warnings?enterprise=${ENT}`))).warnings.find((w) => w.warning.warningId === warningId);
  const records = async (): Promise<Rec[]> => (await ok<{ records: Rec[] }>(await entUsers['eng1']!.get('/api/v1/hidden-dangers?all=true'))).records;

  it('follows an officer’s warning from the centre to a closed record at the enterprise and back', async () => {
    // The enterprise is online at the centre (its uplink reached the centre through mosquitto).
    plc.bank(1).write('holding', 0, 5, 'uint16');
    await waitFor(async () => (await ok<{ enterprises: { code: string; online: boolean }[] }>(await centreUsers['viewer1']!.get('/api/v1/centre/enterprises'))).enterprises.find((e) => e.code === ENT)?.online, 20_000, 'the enterprise online at the centre');
    expect((await detail()).status.hiddenDangersOpen).toBe(0);

    // 1. The officer on duty issues a warning over the centre's API.
    const issued = await ok<PlatformWarning>(
      await centreUsers['op1']!.post('/api/v1/centre/warnings', { enterpriseCode: ENT, level: 3, title: '请核查加压机房一氧化碳泄漏', content: '近期加压机房一氧化碳多次超限，请排查并于期限内反馈。' }),
    );
    // Addressed to the enterprise; it goes down on its registered gateway's topic.
    expect(issued).toMatchObject({ enterpriseCode: ENT, issuer: '某县应急管理局监测中心', kind: 'manual', level: 3 });
    expect((await tracked(issued.warningId))?.track).toBe('pending');

    // 2. At the enterprise it is a hidden-danger record with source 监测预警, in the gas area.
    const rec = await waitFor(async () => (await records()).find((r) => r.warningId === issued.warningId), 20_000, 'the record of the warning at the enterprise');
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', area: 'gas', dangerLevel: 'general' });
    expect(rec.point).toBeUndefined();

    // 3. The centre sees it received, and the record open at the enterprise.
    await waitFor(async () => (await tracked(issued.warningId))?.status === 'received', 20_000, 'received at the centre');
    expect((await tracked(issued.warningId))).toMatchObject({ track: 'received', trackName: '已签收', feedback: { state: 'received', hazardId: rec.id } });
    await waitFor(async () => (await detail()).status.hiddenDangersOpen === 1, 20_000, 'one open hidden danger at the centre');
    expect((await detail()).hiddenDangers).toEqual([expect.objectContaining({ dangerId: rec.id, warningId: issued.warningId, state: 'registered' })]);

    // 4. The enterprise's people assess and start: the centre sees it in hand.
    const base = `/api/v1/hidden-dangers/${rec.id}`;
    await ok(await entUsers['super1']!.post(`${base}/assess`, { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '检修煤气管道法兰，加强巡检', liablePerson: 'op-gas' }));
    await ok(await entUsers['op-gas']!.post(`${base}/start`, {}));
    await waitFor(async () => (await tracked(issued.warningId))?.status === 'in_hand', 20_000, 'in hand at the centre');
    expect((await tracked(issued.warningId))?.trackName).toBe('处置中');

    // 5. Rectified and accepted: the centre sees the answer with the enterprise's comment.
    await ok(await entUsers['op-gas']!.post(`${base}/submit`, { rectification: '更换法兰垫片，复测一氧化碳浓度为0' }));
    await ok(await entUsers['eng1']!.post(`${base}/accept`, { comment: '复查合格，同意销号' }));
    await waitFor(async () => (await tracked(issued.warningId))?.status === 'answered', 20_000, 'answered at the centre');
    const answered = (await tracked(issued.warningId))!;
    expect(answered).toMatchObject({ track: 'answered', trackName: '已反馈', feedback: { state: 'answered', handledBy: 'eng1', hazardId: rec.id } });
    expect(answered.feedback!.content).toContain('复查合格，同意销号');
    expect(answered.feedback!.content).toContain('更换法兰垫片');

    // 6. Every revision reached the centre: the record is closed there and nothing is open.
    await waitFor(async () => (await detail()).status.hiddenDangersOpen === 0, 20_000, 'no open hidden danger at the centre');
    const last = (await detail()).hiddenDangers.find((d) => d.dangerId === rec.id)!;
    expect(last).toMatchObject({ state: 'closed' });
    expect(last.revision).toBeGreaterThanOrEqual(5);
    // Nothing the enterprise sent was refused by the centre.
    expect(centreGw.metrics.total('centre_rejected_total')).toBe(0);
  }, 120_000);

  it('turns a red alarm left unacknowledged at the enterprise into a red warning, a 重大隐患 record there, and tracks it', async () => {
    const openBefore = (await detail()).status.hiddenDangersOpen;
    plc.bank(1).write('holding', 0, 200, 'uint16');
    const centre = centreGw.service<CentreService>('centre')!;
    const w = await waitFor(() => centre.warnings.list(Date.now(), { enterpriseCode: ENT }).find((x) => x.warning.kind === 'unacked_alarm')?.warning, 30_000, 'the centre’s unacked_alarm warning');
    expect(w).toMatchObject({ enterpriseCode: ENT, gatewayCode: GATEWAY_ID, level: 4, pointCode: 'CO-2002-01' });
    expect(w.title).toContain('未确认');

    // At the enterprise: a 重大 record (red warning) with source 监测预警, once.
    const rec = await waitFor(async () => (await records()).find((r) => r.warningId === w.warningId), 20_000, 'the record of the red warning');
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', dangerLevel: 'major', area: 'gas' });
    // The warning names the point by its platform code; the record names the local point and its equipment.
    expect(rec).toMatchObject({ point: 'booster.co', equipment: '煤气加压机房' });
    await waitFor(async () => (await tracked(w.warningId))?.status === 'received', 20_000, 'received at the centre');
    await waitFor(async () => (await detail()).status.hiddenDangersOpen === openBefore + 1, 20_000, 'the major record open at the centre');

    // The operator acknowledges the alarm: the situation is the same occurrence, so no second warning.
    const ack = await entUsers['op-gas']!.post('/api/v1/alarms/acknowledge', { alarmIds: ['booster.co:HH'], comment: '已到现场' });
    expect(ack.status, await ack.clone().text()).toBe(200);
    plc.bank(1).write('holding', 0, 5, 'uint16');

    // Assessed as 重大 with its 五落实 and started: the centre sees it in hand.
    const base = `/api/v1/hidden-dangers/${rec.id}`;
    await ok(
      await entUsers['super1']!.post(`${base}/assess`, {
        dangerLevel: 'major',
        dangerManageType: 'deadline',
        controlMeasures: '停用加压机房，排查泄漏点',
        liablePerson: 'op-gas',
        fiveImplementations: { responsibility: '设备部王工', measures: '更换泄漏阀门，增设固定式报警仪', funds: '2万元', deadline: Date.now() + 3 * 86_400_000, contingencyPlan: '煤气泄漏现场处置方案' },
      }),
    );
    await ok(await entUsers['op-gas']!.post(`${base}/start`, {}));
    await waitFor(async () => (await tracked(w.warningId))?.status === 'in_hand', 20_000, 'in hand at the centre');
    expect(centre.warnings.list(Date.now(), { enterpriseCode: ENT }).filter((x) => x.warning.kind === 'unacked_alarm')).toHaveLength(1);
    expect((await records()).filter((r) => r.warningId === w.warningId)).toHaveLength(1);
    expect(centreGw.metrics.total('centre_rejected_total')).toBe(0);
  }, 120_000);

  it('keeps the loop across outages: a warning issued while the enterprise gateway is down, feedback sent while the centre is down', async () => {
    const openBefore = (await detail()).status.hiddenDangersOpen;
    // The enterprise gateway is down when the officer issues the warning; the broker keeps it in
    // the gateway's persistent session.
    await entGw.stop();
    const issued = await ok<PlatformWarning>(await centreUsers['op1']!.post('/api/v1/centre/warnings', { enterpriseCode: ENT, level: 2, title: '请核查除尘系统运行记录', content: '请核查近一周运行记录并反馈。' }));
    await waitFor(async () => (await tracked(issued.warningId))?.publishedAt !== undefined, 15_000, 'the warning acknowledged by the broker');
    expect((await tracked(issued.warningId))?.status).toBe('pending');
    await startEnterprise();
    const rec = await waitFor(async () => (await records()).find((r) => r.warningId === issued.warningId), 20_000, 'the record after the enterprise came back');
    await waitFor(async () => (await tracked(issued.warningId))?.status === 'received', 20_000, 'received at the centre');
    await waitFor(async () => (await detail()).status.hiddenDangersOpen === openBefore + 1, 20_000, 'the record open at the centre');

    // The centre is down while the enterprise works the record to closure: its persistent session
    // keeps the feedback and revisions, and they land when it is back.
    await centreGw.stop();
    const base = `/api/v1/hidden-dangers/${rec.id}`;
    await ok(await entUsers['super1']!.post(`${base}/assess`, { dangerLevel: 'general', dangerManageType: 'immediate', controlMeasures: '核查运行记录', liablePerson: 'op-gas' }));
    await ok(await entUsers['op-gas']!.post(`${base}/start`, {}));
    await ok(await entUsers['op-gas']!.post(`${base}/submit`, { rectification: '运行记录完整，补充巡检签字' }));
    await ok(await entUsers['eng1']!.post(`${base}/accept`, { comment: '核查无误' }));
    await startCentre();
    await waitFor(async () => (await tracked(issued.warningId))?.status === 'answered', 30_000, 'answered at the centre after its restart');
    expect((await tracked(issued.warningId))?.feedback?.content).toContain('核查无误');
    await waitFor(async () => (await detail()).status.hiddenDangersOpen === openBefore, 30_000, 'the record closed at the centre');
    expect((await detail()).hiddenDangers.find((d) => d.dangerId === rec.id)).toMatchObject({ state: 'closed' });
    // One record per warning at the enterprise, and every warning of this file still tracked at the centre.
    expect((await records()).filter((r) => r.warningId === issued.warningId)).toHaveLength(1);
    expect((await ok<{ warnings: Tracked[] }>(await centreUsers['viewer1']!.get(`/api/v1/centre/warnings?enterprise=${ENT}`))).warnings).toHaveLength(3);
    expect(centreGw.metrics.total('centre_rejected_total')).toBe(0);
  }, 150_000);

  it('sends a warning to an enterprise whose gateway the centre has not heard from yet as soon as that gateway first speaks', async () => {
    const ENT2 = code('91350100MA2XY0123');
    const centre = centreGw.service<CentreService>('centre')!;
    // Registered without a gateway (as a CSV import without 网关编码 leaves it).
    centre.register.upsert({ code: ENT2, name: '乙粉末冶金有限公司', industry: 'dust_explosion', dustType: 'metal', town: '东湖镇', gateways: [] }, '张科长', Date.now());
    const issued = await ok<PlatformWarning>(await centreUsers['op1']!.post('/api/v1/centre/warnings', { enterpriseCode: ENT2, level: 2, title: '请尽快完成监测联网', content: '贵企业尚未联网，请尽快接入并反馈。' }));
    // Nowhere to send it yet.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await ok<{ warnings: Tracked[] }>(await centreUsers['viewer1']!.get(`/api/v1/centre/warnings?enterprise=${ENT2}`))).warnings[0]).toMatchObject({ status: 'pending' });
    expect((await ok<{ warnings: Tracked[] }>(await centreUsers['viewer1']!.get(`/api/v1/centre/warnings?enterprise=${ENT2}`))).warnings[0]!.publishedAt).toBeUndefined();

    // Its gateway connects (a plain MQTT client speaking the uplink envelope) and sends a heartbeat.
    const gw2 = await mqtt.connectAsync(broker.url, { clientId: 'gw-2-uplink', clean: false });
    try {
      const received: PlatformWarning[] = [];
      gw2.on('message', (_t, p) => received.push(JSON.parse(p.toString('utf8')) as PlatformWarning));
      await gw2.subscribeAsync(`safety/${ENT2}/gw-2/warning`, { qos: 1 });
      await gw2.publishAsync(
        `safety/${ENT2}/gw-2/heartbeat`,
        JSON.stringify({ dataId: crypto.randomUUID(), seq: 1, type: 'heartbeat', enterpriseCode: ENT2, gatewayCode: 'gw-2', timestamp: Date.now(), historical: false, items: [] }),
        { qos: 1 },
      );
      const w = await waitFor(() => received.find((x) => x.warningId === issued.warningId), 15_000, 'the warning on the new gateway’s topic');
      expect(w).toMatchObject({ enterpriseCode: ENT2, title: '请尽快完成监测联网' });
    } finally {
      await gw2.endAsync();
    }
  }, 60_000);
});
