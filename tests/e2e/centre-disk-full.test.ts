import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../gateway/config/load.js';
import { usccCheckChar } from '../../gateway/config/uscc.js';
import type { AlarmEvent } from '../../gateway/core/alarm-event.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/runtime/gateway.js';
import type { CentreService } from '../../gateway/services/centre/service.js';
import { CENTRE_STORAGE_ALARM_ID } from '../../gateway/services/centre/storage-alarm.js';
import { MosquittoServer } from '../helpers/mosquitto.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { Tmpfs } from '../helpers/tmpfs.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const ENT = code('91350100M000100Y4');
const POINTS = 50;

/**
 * A county centre whose data directory (centre.db and its own gateway.db) is on a 6 MB tmpfs, filled
 * with dd while an enterprise keeps uplinking through a real mosquitto: the centre must keep its live
 * state, raise centre:STORAGE_FAILING naming the directory on its own alarm list, and write every
 * alarm log row and history sample of the outage once space returns.
 */
describe('a monitoring centre whose disk fills up', () => {
  const disk = new Tmpfs('6m', 'gw-e2e-centre-diskfull-');
  const dataDir = join(disk.path, 'centre');
  let broker: MosquittoServer;
  let gw: Gateway;
  let centre: CentreService;
  let enterprise: mqtt.MqttClient;
  const alarmEvents: AlarmEvent[] = [];
  let seq = 0;
  let samples = 0;
  let alarmItems = 0;
  let lastValue = 0;

  beforeAll(async () => {
    broker = await MosquittoServer.start();
    const parsed = validateConfig({
      gateway: { id: 'county-centre', enterprise: { name: '某县应急管理局', creditCode: code('11350100MB0000001') }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir },
      devices: [],
      centre: {
        issuer: '某县应急管理局监测中心',
        broker: { url: broker.url, clientId: 'county-centre-diskfull' },
        rules: { offlineWarningAfter: '0s', unackedSeverity4After: '1s', repeatedAlarmCount: 0, evaluateEvery: '500ms' },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    gw = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await gw.start();
    gw.alarms.events$.subscribe((e) => alarmEvents.push(e));
    centre = gw.service<CentreService>('centre')!;
    centre.register.upsert({ code: ENT, name: '甲钢铁有限公司', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, '张科长', Date.now());
    enterprise = await mqtt.connectAsync(broker.url, { clientId: 'enterprise-a' });
  }, 60_000);

  afterAll(async () => {
    await enterprise?.endAsync();
    await gw?.stop();
    await broker?.dispose();
    disk.unmount();
  });

  /** One realtime snapshot of every point (its alarm level flips each time, so each sample is kept) and, every 5th, an alarm envelope. */
  async function uplink(): Promise<void> {
    const time = Date.now();
    // Flipped every snapshot, so every sample is kept (else one a minute per point).
    const level = (samples / POINTS) % 2;
    lastValue = 10 + (seq % 7);
    const items = Array.from({ length: POINTS }, (_, i) => ({ pointCode: `CO-${i}`, value: lastValue, unit: 'ppm', quality: 'Good', time, alarmLevel: level }));
    const send = (type: string, list: object[]) =>
      enterprise.publishAsync(`safety/${ENT}/gw-a/${type}`, JSON.stringify({ dataId: randomUUID(), seq: ++seq, type, enterpriseCode: ENT, gatewayCode: 'gw-a', timestamp: time, historical: false, items: list }), { qos: 1 });
    await send('realtime', items);
    samples += POINTS;
    if (seq % 5 === 0) {
      await send('alarm', [{ pointCode: 'CO-1', value: 60, unit: 'ppm', quality: 'Good', time, alarmLevel: 2, alarmType: 'HI', alarmActive: seq % 10 < 5, alarmState: 'UNACK', alarmMessage: '加压机房CO 高报' }]);
      alarmItems++;
    }
  }

  const envelope = (type: string, extra: object) => JSON.stringify({ dataId: randomUUID(), seq: ++seq, type, enterpriseCode: ENT, gatewayCode: 'gw-a', timestamp: Date.now(), historical: false, items: [], ...extra });

  it('keeps the live state, raises centre:STORAGE_FAILING "disk full at <dir>", and writes everything held once space returns', async () => {
    for (let i = 0; i < 10; i++) await uplink();
    await waitFor(() => centre.intake.gateways.get(`${ENT}/gw-a`)?.lastSeq === seq, 20_000, 'the first envelopes at the centre');
    const issued = centre.issueManual({ enterpriseCode: ENT, level: 2, title: '加压机房CO报警频繁', content: '请核查并反馈' }, '张科长')!;

    disk.fill();
    // Uplinking until the centre's writes meet the full disk (its WAL's free frames may take a few first).
    const failing = await waitFor(
      async () => {
        await uplink();
        return alarmEvents.find((e) => e.alarmId === CENTRE_STORAGE_ALARM_ID && e.active);
      },
      60_000,
      'the centre storage alarm',
    );
    expect(failing.message).toContain(`disk full at ${dataDir}`);
    expect(failing.severity).toBe(3);
    for (let i = 0; i < 20; i++) await uplink();
    // The enterprise answers the warning, and raises a severity-4 alarm nobody acknowledges: the
    // centre rules want a warning they cannot write now, and the feedback cannot be recorded.
    await enterprise.publishAsync(`safety/${ENT}/gw-a/warning_feedback`, envelope('warning_feedback', { warningFeedback: { warningId: issued.warningId, state: 'answered', content: '已更换法兰垫片，复查合格', handledBy: 'eng1', at: Date.now() } }), { qos: 1 });
    const t = Date.now();
    await enterprise.publishAsync(
      `safety/${ENT}/gw-a/alarm`,
      envelope('alarm', { items: [{ pointCode: 'CO-2', value: 300, unit: 'ppm', quality: 'Good', time: t, alarmLevel: 4, alarmType: 'HH', alarmActive: true, alarmState: 'UNACK', alarmStart: t, alarmMessage: '加压机房CO 高高报' }] }),
      { qos: 1 },
    );
    alarmItems++;
    await waitFor(() => centre.intake.gateways.get(`${ENT}/gw-a`)?.lastSeq === seq, 20_000, 'every envelope at the centre, disk full');
    await waitFor(() => gw.metrics.counter('centre_evaluate_errors_total') > 0, 20_000, 'an evaluation the full disk refused');
    expect(centre.warnings.get(issued.warningId, Date.now())?.status).toBe('pending');
    // The live state goes on with the disk full.
    expect(centre.intake.latest.get(ENT)?.get('CO-0')?.value).toBe(lastValue);
    expect(centre.intake.storageFailing).toBe(true);
    expect(centre.intake.held.samples).toBeGreaterThan(0);

    disk.free();
    await waitFor(() => alarmEvents.some((e) => e.alarmId === CENTRE_STORAGE_ALARM_ID && !e.active), 60_000, 'the centre storage alarm to clear');
    expect(centre.intake.held).toMatchObject({ samples: 0, alarmEvents: 0, droppedSamples: 0, droppedAlarmEvents: 0 });
    const db = new Database(join(dataDir, 'centre.db'), { readonly: true });
    const stored = (db.prepare('SELECT sum(n) AS n FROM history_chunk').get() as { n: number }).n;
    const logged = (db.prepare('SELECT count(*) AS n FROM centre_alarm_event').get() as { n: number }).n;
    const watermark = (db.prepare('SELECT last_seq FROM centre_gateway WHERE code = ?').get('gw-a') as { last_seq: number }).last_seq;
    db.close();
    expect(stored).toBe(samples);
    expect(logged).toBe(alarmItems);
    expect(watermark).toBe(seq);
    // The held feedback is recorded and the refused warning opened once the disk takes them.
    await waitFor(() => centre.warnings.get(issued.warningId, Date.now())?.status === 'answered', 10_000, 'the held feedback recorded');
    const unacked = await waitFor(() => centre.warnings.list(Date.now(), { enterpriseCode: ENT }).find((w) => w.warning.kind !== 'manual'), 10_000, 'the warning the rules wanted');
    expect(unacked.warning.pointCode).toBe('CO-2');
  }, 180_000);
});
