import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { TestPki, type CertFiles } from '../../helpers/tls-certs.js';
import { alarm, makeUplink, reading, until, type Harness } from './fixtures.js';

/**
 * The mqtt profile over TLS against a real mosquitto: a throwaway CA (openssl), a server certificate
 * for 127.0.0.1, client certificates. What matters to a plant: data arrives over an authenticated,
 * encrypted link, and a certificate or password problem keeps everything in the queue, raises
 * uplink:LINK_DOWN and says in the log what is wrong.
 */

const GW_USER = 'gw-0001';
const GW_PASSWORD = 'gw-secret-0001';
const SIM_USER = 'platform';
const SIM_PASSWORD = 'platform-secret';

let pki: TestPki;
let gwCert: CertFiles;
let simCert: CertFiles;
const brokers: MosquittoServer[] = [];
let sim: PlatformSimulator | undefined;
let h: (Harness & { log: string[] }) | undefined;

beforeAll(() => {
  pki = TestPki.create();
  gwCert = pki.issueClient(GW_USER);
  simCert = pki.issueClient('platform-sim');
});
afterAll(() => {
  pki.dispose();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim?.stop();
  sim = undefined;
  for (const b of brokers.splice(0)) await b.dispose();
});

async function startBroker(options: Parameters<typeof MosquittoServer.start>[0]): Promise<MosquittoServer> {
  const b = await MosquittoServer.start(options);
  brokers.push(b);
  return b;
}

/** Mosquitto with TLS (server certificate for 127.0.0.1 signed by the test CA) and a password file. */
function passwordBroker(): Promise<MosquittoServer> {
  return startBroker({ tls: { cafile: pki.ca.cert, certfile: pki.server.cert, keyfile: pki.server.key }, users: { [GW_USER]: GW_PASSWORD, [SIM_USER]: SIM_PASSWORD } });
}

async function startSim(mqtt: NonNullable<ConstructorParameters<typeof PlatformSimulator>[0]['mqtt']>): Promise<PlatformSimulator> {
  sim = new PlatformSimulator({ mqtt: { topic: 'safety/#', clientId: `platform-sim-${Math.random().toString(16).slice(2)}`, ...mqtt } });
  await sim.start();
  return sim;
}

/** The uplink over MQTT with these transport settings; its log lines are kept (fixtures.makeUplink). */
function startUplink(transport: Record<string, unknown>): Harness {
  return makeUplink({
      transport: { profile: 'mqtt', clientId: `gw-test-${Math.random().toString(16).slice(2)}`, ackTimeout: '2s', connectTimeout: '2s', ...transport },
      points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
      snapshotPeriod: '100ms',
      heartbeatPeriod: '1s',
      retry: { initialDelay: '20ms', maxDelay: '100ms' },
      linkDownAlarmAfter: '200ms',
      replayRate: 0,
    });
}

/** An alarm and a snapshot go up and arrive at the platform, without any failed send. */
async function expectAlarmAndSnapshotArrive(hh: Harness, platform: PlatformSimulator): Promise<void> {
  hh.readings.next(reading('gh1.co', 182));
  hh.alarms.next(alarm('gh1.co', true, 182));
  await until(() => platform.arrivals.some((a) => a.envelope.type === 'alarm') && platform.arrivals.some((a) => a.envelope.type === 'realtime'), 10_000, 'alarm and snapshot at the platform');
  const alarmMsg = platform.arrivals.find((a) => a.envelope.type === 'alarm')!.envelope;
  expect(alarmMsg.items[0]).toMatchObject({ pointCode: 'CO-2019-01', value: 182, unit: 'ppm', alarmActive: true, alarmLevel: 4, alarmType: 'HH' });
  const snapshot = platform.arrivals.find((a) => a.envelope.type === 'realtime')!.envelope;
  expect(snapshot.items[0]).toMatchObject({ pointCode: 'CO-2019-01', value: 182, quality: 'Good' });
  expect(platform.rejections).toEqual([]);
  expect(hh.metrics.total('uplink_send_failures_total')).toBe(0);
  expect(hh.diagnostics.filter((d) => d.alarmId === 'uplink:LINK_DOWN')).toEqual([]);
}

/**
 * The link cannot come up: LINK_DOWN is raised, the alarm and the snapshots stay in the queue,
 * nothing reaches the platform, and the first failure is logged with `hint` in its text.
 */
async function expectLinkDownWithQueue(hh: Harness & { log: string[] }, platform: PlatformSimulator | undefined, hint: RegExp): Promise<string> {
  hh.readings.next(reading('gh1.co', 182));
  hh.alarms.next(alarm('gh1.co', true, 182));
  await until(() => hh.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && d.active), 10_000, 'uplink:LINK_DOWN');
  await until(() => hh.sink.queue.peek(100).some((m) => m.type === 'realtime'), 5000, 'a snapshot queued');
  const queued = hh.sink.queue.peek(100);
  expect(queued.map((m) => m.type)).toEqual(expect.arrayContaining(['heartbeat', 'alarm', 'realtime']));
  expect(queued.find((m) => m.type === 'alarm')!.items[0]).toMatchObject({ pointCode: 'CO-2019-01', alarmActive: true });
  expect(hh.metrics.total('uplink_sent_total')).toBe(0);
  expect(hh.metrics.total('uplink_send_failures_total')).toBeGreaterThanOrEqual(2);
  if (platform) expect(platform.arrivals).toEqual([]);
  const warning = hh.log.find((l) => l.includes('WARN') && l.includes('上报失败'));
  expect(warning, hh.log.join('\n')).toBeDefined();
  expect(warning).toMatch(hint);
  return warning!;
}

describe('uplink over MQTT with TLS (real mosquitto, throwaway CA)', () => {
  it('mqtts with the platform CA trusted and username/password: an alarm and a snapshot arrive', async () => {
    const broker = await passwordBroker();
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:/);
    const platform = await startSim({ url: broker.url, username: SIM_USER, password: SIM_PASSWORD, caFile: pki.ca.cert });
    h = startUplink({ url: broker.url, username: GW_USER, password: GW_PASSWORD, caFile: pki.ca.cert });
    await expectAlarmAndSnapshotArrive(h, platform);
    expect(h.metrics.total('uplink_mqtt_connect_failures_total')).toBe(0);
  });

  it('mutual TLS: with a client certificate signed by the platform CA, messages arrive', async () => {
    const broker = await startBroker({ tls: { cafile: pki.ca.cert, certfile: pki.server.cert, keyfile: pki.server.key, requireCertificate: true } });
    const platform = await startSim({ url: broker.url, caFile: pki.ca.cert, certFile: simCert.cert, keyFile: simCert.key });
    h = startUplink({ url: broker.url, caFile: pki.ca.cert, certFile: gwCert.cert, keyFile: gwCert.key });
    await expectAlarmAndSnapshotArrive(h, platform);
  });

  it('mutual TLS without a client certificate: refused, LINK_DOWN, messages stay queued', async () => {
    const broker = await startBroker({ tls: { cafile: pki.ca.cert, certfile: pki.server.cert, keyfile: pki.server.key, requireCertificate: true } });
    const platform = await startSim({ url: broker.url, caFile: pki.ca.cert, certFile: simCert.cert, keyFile: simCert.key });
    h = startUplink({ url: broker.url, caFile: pki.ca.cert });
    const warning = await expectLinkDownWithQueue(h, platform, /MQTT connect to mqtts:\/\/127\.0\.0\.1:\d+ failed: TLS 握手被拒绝/);
    expect(warning).toContain('certificate required');
    expect(warning).toContain('certFile');
    expect(h.metrics.counter('uplink_mqtt_connect_failures_total', { reason: 'tls_handshake' })).toBeGreaterThanOrEqual(2);
  });

  it('server certificate signed by an untrusted CA: nothing is sent, LINK_DOWN, messages stay queued, the log names the certificate problem', async () => {
    const broker = await startBroker({ tls: { cafile: pki.untrustedCa.cert, certfile: pki.untrustedServer.cert, keyfile: pki.untrustedServer.key } });
    // The platform side trusts that CA and is listening: anything the gateway published would arrive.
    const platform = await startSim({ url: broker.url, caFile: pki.untrustedCa.cert });
    h = startUplink({ url: broker.url, caFile: pki.ca.cert });
    const warning = await expectLinkDownWithQueue(h, platform, /平台服务器证书校验失败/);
    // Which code depends on whether the broker sends its CA along (mosquitto does): either way a chain that does not end in caFile.
    expect(warning).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    expect(warning).toContain('caFile');
    expect(h.metrics.counter('uplink_mqtt_connect_failures_total', { reason: 'server_certificate' })).toBeGreaterThanOrEqual(2);
    expect(h.metrics.total('uplink_mqtt_connect_failures_total')).toBe(h.metrics.counter('uplink_mqtt_connect_failures_total', { reason: 'server_certificate' }));
  });

  it('wrong password: LINK_DOWN, messages stay queued, the log says the platform refused the login', async () => {
    const broker = await passwordBroker();
    const platform = await startSim({ url: broker.url, username: SIM_USER, password: SIM_PASSWORD, caFile: pki.ca.cert });
    h = startUplink({ url: broker.url, username: GW_USER, password: 'wrong-password', caFile: pki.ca.cert });
    const warning = await expectLinkDownWithQueue(h, platform, /平台拒绝登录/);
    expect(warning).toMatch(/CONNACK [45]/);
    expect(warning).not.toContain('wrong-password');
    expect(h.metrics.counter('uplink_mqtt_connect_failures_total', { reason: 'auth' })).toBeGreaterThanOrEqual(2);
  });

  it('servername: a certificate issued for a host name is accepted on an IP url only when servername names it', async () => {
    const named = pki.issueServer('named-server', 'platform.example.test', 'DNS:platform.example.test');
    const broker = await startBroker({ tls: { cafile: pki.ca.cert, certfile: named.cert, keyfile: named.key } });

    h = startUplink({ url: broker.url, caFile: pki.ca.cert });
    const warning = await expectLinkDownWithQueue(h, undefined, /平台服务器证书与连接地址不符/);
    expect(warning).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    await h.close();

    h = startUplink({ url: broker.url, caFile: pki.ca.cert, servername: 'platform.example.test' });
    h.alarms.next(alarm('gh1.co', true, 182));
    // PUBACK from the broker at the end of a verified TLS connection: the queue drains.
    await until(() => h!.metrics.counter('uplink_sent_total', { type: 'alarm' }) === 1, 10_000, 'alarm acknowledged');
    expect(h.metrics.total('uplink_send_failures_total')).toBe(0);
  });
});
