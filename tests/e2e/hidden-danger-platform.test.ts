import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../gateway/auth/user-store.js';
import { validateConfig } from '../../gateway/config/load.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { PlatformWarning } from '../../gateway/core/platform-warning.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import { openDatabase } from '../../gateway/store/database.js';
import { RegisterServer } from '../../simulators/modbus/register-server.js';
import { PlatformSimulator, type Arrival } from '../../simulators/platform/platform-simulator.js';
import { Client, PASSWORD, USERS } from '../gateway/services/api/harness.js';
import { MosquittoServer } from '../helpers/mosquitto.js';
import { freePort, waitFor } from '../helpers/ports.js';

/**
 * Issue #14's platform loop with both halves together: a real Gateway (uplink + hidden-danger + API)
 * against the platform simulator. Warnings come down, become records with source 监测预警, people
 * move them through the HTTP API, and revisions and feedback go back up, in order, once.
 */

const CREDIT_CODE = '91350100M000100Y43';
const GATEWAY_ID = 'hd-e2e-gw';
const STEEL = { appKey: 'steel-hd-e2e', appSecret: 'S3cr3t-e2e-never-logged' };

interface Rec {
  id: string;
  state: string;
  dangerSrc: string;
  warningId?: string;
  alarmIds: string[];
  area: string;
  dangerLevel: string;
}

let broker: MosquittoServer;
beforeAll(async () => {
  broker = await MosquittoServer.start();
}, 30_000);
afterAll(async () => {
  await broker?.dispose();
});

type Profile = 'mqtt' | 'steel-rest' | 'mem-http-sm4';
const SM4 = { appid: 'hd-e2e-appid', appsecret: 'hd-e2e-secret', key: '0123456789abcdeffedcba9876543210', iv: 'fedcba98765432100123456789abcdef' };
/** The smallest valid PNG (photos are typed by their first bytes). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5240000000049454e44ae426082', 'hex');

/** The platform simulator and the uplink transport that reaches it, per profile. */
function platformFor(profile: Profile): { sim: PlatformSimulator; transport: () => Record<string, unknown> } {
  if (profile === 'mqtt') {
    const sim = new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}` } });
    // One client id for every start of this site's gateway: its persistent session keeps warnings while it is down.
    const clientId = `gw-hd-${Math.random().toString(16).slice(2)}`;
    return { sim, transport: () => ({ profile: 'mqtt', url: broker.url, clientId, ackTimeout: '5s', connectTimeout: '2s', warnings: {} }) };
  }
  if (profile === 'mem-http-sm4') {
    const sim = new PlatformSimulator({ http: SM4 });
    return { sim, transport: () => ({ profile: 'mem-http-sm4', url: sim.url, ...SM4, timeout: '5s', warnings: { url: sim.warningsUrl, ackUrl: sim.warningAckUrl, pollInterval: '200ms' } }) };
  }
  const sim = new PlatformSimulator({ steel: STEEL });
  return { sim, transport: () => ({ profile: 'steel-rest', url: sim.steel!.url, ...STEEL, timeout: '5s', warnings: { pollInterval: '200ms' } }) };
}

/** One enterprise: a Modbus PLC, the gateway's data dir (kept across restarts), its platform. */
class Site {
  gateway: Gateway | undefined;
  readonly clients: Record<string, Client> = {};
  private constructor(
    readonly profile: Profile,
    readonly sim: PlatformSimulator,
    private readonly transport: () => Record<string, unknown>,
    readonly plc: RegisterServer,
    private readonly plcPort: number,
    readonly dir: string,
    /** uplink.enterpriseCode: the code the platform knows this enterprise by, when not gateway.enterprise.creditCode. */
    readonly uplinkEnterpriseCode?: string,
  ) {}

  static async open(profile: Profile, o: { uplinkEnterpriseCode?: string } = {}): Promise<Site> {
    const { sim, transport } = platformFor(profile);
    await sim.start();
    const dir = mkdtempSync(join(tmpdir(), 'gw-hd-e2e-'));
    const db = openDatabase(join(dir, 'data', 'gateway.db'));
    const store = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
    for (const u of USERS) await store.add({ ...u, password: PASSWORD });
    db.close();
    const plc = new RegisterServer();
    const site = new Site(profile, sim, transport, plc, await plc.start(), dir, o.uplinkEnterpriseCode);
    await site.startGateway();
    return site;
  }

  async startGateway(): Promise<void> {
    const parsed = validateConfig({
      gateway: { id: GATEWAY_ID, enterprise: { name: '测试钢铁', creditCode: CREDIT_CODE }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      http: { port: 0 },
      storage: { dataDir: join(this.dir, 'data') },
      devices: [
        {
          id: 'plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port: this.plcPort,
          pollInterval: '100ms',
          points: [{ id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', area: 'gas', unit: 'ppm', range: { low: 0, high: 1000 }, table: 'holding', address: 0, limits: { H: { value: 24, severity: 2 }, HH: { value: 160, severity: 3 } } }],
        },
      ],
      uplink: {
        ...(this.uplinkEnterpriseCode ? { enterpriseCode: this.uplinkEnterpriseCode } : {}),
        transport: this.transport(),
        points: [{ point: 'booster.co', code: 'CO-2019-01' }],
        snapshotPeriod: '1h',
        heartbeatPeriod: '1h',
        retry: { initialDelay: '50ms', maxDelay: '500ms' },
        replayRate: 0,
      },
      hiddenDanger: {
        rules: [{ id: 'co-hh', name: '加压机房一氧化碳超高高限', match: { alarmId: ['booster.co:HH'] }, when: { kind: 'active', for: '0s' } }],
        responsible: [{ area: 'gas', role: 'operator' }],
        // Warnings from above go to the gas area here, so its operators rectify them.
        warningArea: 'gas',
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    this.gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await this.gateway.start();
    for (const name of ['op-gas', 'super1', 'eng1']) this.clients[name] = await Client.login(this.gateway.httpAddress!, name, PASSWORD);
  }

  async stopGateway(): Promise<void> {
    await this.gateway?.stop();
    this.gateway = undefined;
  }

  async restartGateway(): Promise<void> {
    await this.stopGateway();
    await this.startGateway();
  }

  /** Every record, open or closed, as a logged-in viewer of the API sees it. */
  async records(): Promise<Rec[]> {
    const res = await this.clients['eng1']!.get('/api/v1/hidden-dangers?all=true');
    expect(res.status).toBe(200);
    return ((await res.json()) as { records: Rec[] }).records;
  }

  ofType(type: string): Arrival[] {
    return this.sim.arrivals.filter((a) => a.envelope.type === type);
  }

  /** The revisions of one record the platform received, in arrival order, with the state code each carried. */
  revisionsOf(dangerId: string): { revision: number; state: string | undefined }[] {
    return this.ofType('hidden_danger')
      .map((a) => a.envelope.hiddenDanger ? { id: a.envelope.hiddenDanger.dangerId, revision: a.envelope.hiddenDanger.revision, state: a.envelope.hiddenDanger.state } : { id: a.envelope.dangerRecord!.DANGER_ID, revision: a.envelope.dangerRecord!.REVISION, state: a.envelope.dangerRecord!.DANGER_STATE_NAME })
      .filter((r) => r.id === dangerId)
      .map(({ revision, state }) => ({ revision, state }));
  }

  async close(): Promise<void> {
    await this.gateway?.stop();
    await this.sim.stop();
    await this.plc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function warning(warningId: string, over: Partial<PlatformWarning> = {}): PlatformWarning {
  return {
    warningId,
    enterpriseCode: CREDIT_CODE,
    gatewayCode: GATEWAY_ID,
    issuer: '某某县应急管理局监测中心',
    issuedAt: Date.now(),
    level: 3,
    kind: 'repeated_alarm',
    title: '加压机房一氧化碳反复报警',
    content: '24小时内同一测点报警7次，请核查处置并反馈',
    pointCode: 'CO-2019-01',
    feedbackDeadline: Date.now() + 5 * 86_400_000,
    ...over,
  };
}

async function ok<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

let site: Site | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

describe.each(['mqtt', 'steel-rest', 'mem-http-sm4'] as const)('the hidden-danger platform loop over %s', (profile) => {
  it('a warning becomes a 监测预警 record; received, then revisions in order (a rejection included) and in_hand, answered with the acceptance comment', async () => {
    site = await Site.open(profile);
    const s = site;
    await s.sim.issueWarning(warning('W-E2E-1'));
    const rec = await waitFor(async () => (await s.records()).find((r) => r.warningId === 'W-E2E-1'), 15_000, 'the record of the warning');
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', area: 'gas', alarmIds: [] });
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'received', 15_000, 'feedback received at the platform');
    expect(s.sim.warnings.report()[0]!.feedback[0]).toMatchObject({ warningId: 'W-E2E-1', state: 'received', hazardId: rec.id });

    const base = `/api/v1/hidden-dangers/${rec.id}`;
    await ok(await s.clients['super1']!.post(`${base}/assess`, { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '检修煤气管道法兰', liablePerson: 'op-gas' }));
    await ok(await s.clients['op-gas']!.post(`${base}/start`, {}));
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'in_hand', 15_000, 'feedback in_hand at the platform');
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'after.png');
    const op = s.clients['op-gas']!;
    const photo = await ok<{ photo: { id: string } }>(await fetch(`${s.gateway!.httpAddress!}${base}/photos?phase=after`, { method: 'POST', headers: { cookie: op.cookie, 'x-csrf-token': op.csrf }, body: form }));
    await ok(await s.clients['op-gas']!.post(`${base}/submit`, { rectification: '紧固法兰螺栓' }));
    // 验收不通过: back to rectification; the platform sees 整改中 again, and in_hand is not repeated.
    await ok(await s.clients['super1']!.post(`${base}/reject`, { reason: '法兰处仍可检出一氧化碳' }));
    await ok(await s.clients['op-gas']!.post(`${base}/submit`, { rectification: '更换法兰垫片，复测一氧化碳浓度为0' }));
    await ok(await s.clients['eng1']!.post(`${base}/accept`, { comment: '同意销号' }));
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'answered', 15_000, 'feedback answered at the platform');

    const status = s.sim.warnings.report()[0]!;
    expect(status.feedback.map((f) => f.state)).toEqual(['received', 'in_hand', 'answered']);
    const answered = status.feedback[2]!;
    expect(answered).toMatchObject({ hazardId: rec.id, handledBy: 'eng1' });
    expect(answered.content).toContain('同意销号');
    expect(answered.content).toContain('更换法兰垫片');
    expect(s.sim.warnings.unanswered()).toEqual([]);

    // Every revision once, in order, each state as it was; the last one closed (DANGER_STATE 9).
    await waitFor(() => s.sim.warnings.dangers.get(rec.id)?.stateCode === '9', 15_000, 'the closed record at the platform');
    const revisions = s.revisionsOf(rec.id);
    expect(revisions.map((r) => r.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(revisions.map((r) => r.state)).toEqual(
      profile === 'mqtt'
        ? ['registered', 'assessed', 'rectifying', 'rectifying', 'awaiting_acceptance', 'rectifying', 'awaiting_acceptance', 'closed']
        : ['已登记', '已评估', '整改中', '整改中', '待验收', '整改中', '待验收', '已验收销号'],
    );
    // The photo after rectification goes up by file name (the file stays at the enterprise).
    const closed = s.sim.warnings.dangers.get(rec.id)!;
    const after = profile === 'mqtt' ? closed.report!.photosAfter : closed.record!.ATTACHMENTS2?.split(',');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/\.png$/);
    expect(photo.photo.id).toBeTruthy();
    // Feedback follows the record: received after revision 1, in_hand after the start, answered after closure.
    const order = s.sim.arrivals
      .filter((a) => a.envelope.type === 'hidden_danger' || a.envelope.type === 'warning_feedback')
      .map((a) => a.envelope.warningFeedback?.state ?? `r${a.envelope.hiddenDanger?.revision ?? a.envelope.dangerRecord?.REVISION}`);
    expect(order).toEqual(['r1', 'received', 'r2', 'r3', 'in_hand', 'r4', 'r5', 'r6', 'r7', 'r8', 'answered']);
    expect(s.sim.rejections).toEqual([]);
  }, 90_000);

  it('an alarm a dispatch rule turns into a record reaches the platform as hidden_danger', async () => {
    site = await Site.open(profile);
    const s = site;
    s.plc.bank(1).write('holding', 0, 200, 'uint16');
    const rec = await waitFor(async () => (await s.records()).find((r) => r.alarmIds.includes('booster.co:HH')), 20_000, 'the dispatched record');
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', area: 'gas' });
    s.plc.bank(1).write('holding', 0, 0, 'uint16');
    const onFile = await waitFor(() => s.sim.warnings.dangers.get(rec.id), 15_000, 'the record at the platform');
    expect(onFile).toMatchObject({ revision: 1, stateCode: '0' });
    if (profile === 'mqtt') expect(onFile.report).toMatchObject({ dangerSrc: 'monitoring', alarmIds: ['booster.co:HH'], companyCode: CREDIT_CODE, dangerName: '加压机房一氧化碳超高高限' });
    else expect(onFile.record).toMatchObject({ DANGER_SRC: '11', ALARM_IDS: 'booster.co:HH', COMPANY_CODE: CREDIT_CODE, DANGER_NAME: '加压机房一氧化碳超高高限' });
    expect(s.sim.rejections).toEqual([]);
  }, 90_000);

  it('the same warning delivered twice opens one record, also across a gateway restart; received is fed back once', async () => {
    site = await Site.open(profile);
    const s = site;
    const w = await s.sim.issueWarning(warning('W-E2E-2'));
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'received', 15_000, 'feedback received');
    const duplicates = () => s.gateway!.metrics.total('uplink_warnings_duplicates_total');
    // The platform hands the same warning out again (a resend, a lost receipt).
    await s.sim.issueRawWarning(w, { enterpriseCode: CREDIT_CODE, gatewayCode: GATEWAY_ID });
    await waitFor(() => duplicates() >= 1, 15_000, 'the repeat seen by the uplink');
    expect((await s.records()).filter((r) => r.warningId === 'W-E2E-2')).toHaveLength(1);

    await s.restartGateway();
    await s.sim.issueRawWarning(w, { enterpriseCode: CREDIT_CODE, gatewayCode: GATEWAY_ID });
    await waitFor(() => duplicates() >= 1, 15_000, 'the repeat after the restart');
    const records = (await s.records()).filter((r) => r.warningId === 'W-E2E-2');
    expect(records).toHaveLength(1);
    // Revision 1 once; the restart resends nothing the platform already has.
    expect(s.revisionsOf(records[0]!.id).map((r) => r.revision)).toEqual([1]);
    expect(s.sim.warnings.report()[0]!.feedback.map((f) => f.state)).toEqual(['received']);
    expect(s.sim.rejections).toEqual([]);
  }, 90_000);

  it('a warning issued while the gateway is down becomes one record when it is back', async () => {
    site = await Site.open(profile);
    const s = site;
    // The first start made the uplink's session (mqtt: persistent) or poll known to the platform.
    await waitFor(() => s.ofType('basedata').length >= 1, 15_000, 'base data registered');
    await s.stopGateway();
    await s.sim.issueWarning(warning('W-E2E-3', { level: 4, title: '加压机房一氧化碳浓度超限未处置' }));
    await s.startGateway();
    const rec = await waitFor(async () => (await s.records()).find((r) => r.warningId === 'W-E2E-3'), 15_000, 'the record of the warning');
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', dangerLevel: 'major' });
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'received', 15_000, 'feedback received');
    expect((await s.records()).filter((r) => r.warningId === 'W-E2E-3')).toHaveLength(1);
    expect(s.revisionsOf(rec.id).map((r) => r.revision)).toEqual([1]);
    expect(s.sim.rejections).toEqual([]);
  }, 90_000);
});

describe('an uplink that reports under its own enterprise code (uplink.enterpriseCode)', () => {
  it('takes warnings addressed to that code into records, and records and feedback go up under it', async () => {
    const code = '91320100MA1XY0123J';
    site = await Site.open('mem-http-sm4', { uplinkEnterpriseCode: code });
    const s = site;
    await s.sim.issueWarning(warning('W-E2E-4', { enterpriseCode: code }));
    const rec = await waitFor(async () => (await s.records()).find((r) => r.warningId === 'W-E2E-4'), 15_000, 'the record of the warning');
    await waitFor(() => s.sim.warnings.report()[0]?.state === 'received', 15_000, 'feedback received');
    const onFile = await waitFor(() => s.sim.warnings.dangers.get(rec.id), 15_000, 'the record at the platform');
    expect(onFile.record).toMatchObject({ COMPANY_CODE: code, WARNING_ID: 'W-E2E-4' });
    expect(s.sim.rejections).toEqual([]);
  }, 90_000);
});
