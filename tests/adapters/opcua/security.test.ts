import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPki, trustRejected } from '../../../adapters/opcua/trust.js';
import { startPlcSimulators, type PlcHandle, type PlcSimulators } from '../../../simulators/opcua/index.js';
import { startAdapter, tempDir, type Harness } from './harness.js';

/**
 * Secured connections against the converter PLC simulator: one server and one gateway PKI for the
 * file (certificate creation is slow). The first test trusts the server; later tests reuse that.
 */
let sims: PlcSimulators;
let cv: PlcHandle;
const dir = tempDir('opcua-security-test-');
const gwPki = join(dir, 'gw-pki');
const running: Harness[] = [];

const retryFast = { reconnectMin: '200ms', reconnectMax: '500ms', publishingInterval: '100ms', samplingInterval: '50ms' } as const;

function device(id: string, extra: Record<string, unknown>) {
  return {
    id,
    type: 'opcua' as const,
    endpoint: cv.endpointUrl,
    pkiDir: gwPki,
    ...retryFast,
    points: [
      { id: `${id}.lance_cw_flow_diff`, name: '1#转炉氧枪冷却水进出水流量差', unit: 'm³/h', nodeId: cv.nodeId('lance_cw_flow_diff') },
      { id: `${id}.lance_autolift_armed`, name: '1#转炉氧枪自动提升联锁投入', nodeId: cv.nodeId('lance_autolift_armed') },
    ],
    ...extra,
  };
}

async function start(id: string, extra: Record<string, unknown>): Promise<Harness> {
  const h = await startAdapter(device(id, extra));
  running.push(h);
  return h;
}

beforeAll(async () => {
  sims = await startPlcSimulators({ plcs: ['cv1'], pkiDir: join(dir, 'sim'), tickMs: 100, users: [{ username: 'operator', password: 's3cret-pw' }] });
  cv = sims.get('cv1');
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(running.map((h) => h.stop()));
  await sims?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC UA security', () => {
  it('SignAndEncrypt/Basic256Sha256: an unknown server is rejected with the command that trusts it; after trusting, data flows without a restart', async () => {
    const h = await start('cv1', { security: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256' } });
    // The gateway created its own certificate on first start, in the configured PKI folder.
    expect(existsSync(join(gwPki, 'own', 'certs', 'client_certificate.pem'))).toBe(true);

    const rejected = h.readings.find((r) => r.quality === 'BadNotConnected') ?? (await h.next((r) => r.quality === 'BadNotConnected'));
    expect(rejected.value).toBeNull();
    expect(rejected.reason).toContain('证书不受信任');
    const m = /opcua-trust --pki (\S+) --thumbprint ([0-9a-f]{40})/.exec(rejected.reason ?? '');
    expect(m, rejected.reason).not.toBeNull();
    expect(m![1]).toBe(gwPki);
    expect(h.logs.some((l) => l.startsWith('ERROR') && l.includes(m![2]!))).toBe(true);
    expect(h.metrics.counter('opcua_connect_failures', { device: 'cv1', kind: 'untrusted-server' })).toBeGreaterThanOrEqual(1);
    expect(listPki(gwPki).rejected.map((c) => c.thumbprint)).toContain(m![2]);
    expect(h.readings.some((r) => r.quality === 'Good' && r.point !== 'cv1.comm_ok')).toBe(false);
    expect(h.readings.find((r) => r.point === 'cv1.comm_ok')?.value).toBe(false);

    // What `npm run gateway -- opcua-trust --pki … --thumbprint …` does.
    const trusted = await trustRejected(gwPki, m![2]!);
    expect(trusted.thumbprint).toBe(m![2]);
    expect(listPki(gwPki).trusted.map((c) => c.thumbprint)).toContain(m![2]);
    expect(listPki(gwPki).rejected.map((c) => c.thumbprint)).not.toContain(m![2]);

    const good = await h.next((r) => r.point === 'cv1.lance_cw_flow_diff' && r.quality === 'Good', 15_000);
    expect(good.value as number).toBeGreaterThan(0);
    expect(good.value as number).toBeLessThan(5);

    // A changed value arrives encrypted just the same.
    const changed = h.next((r) => r.point === 'cv1.lance_cw_flow_diff' && r.value === 12.5);
    cv.set('lance_cw_flow_diff', 12.5);
    expect((await changed).quality).toBe('Good');
    cv.release('lance_cw_flow_diff');
    await h.stop();
  }, 40_000);

  it('Sign with Aes128_Sha256_RsaOaep and a username/password user', async () => {
    process.env['CV1_TEST_OPCUA_PASSWORD'] = 's3cret-pw';
    const h = await start('cv1b', {
      security: { mode: 'Sign', policy: 'Aes128_Sha256_RsaOaep' },
      auth: { type: 'username', username: 'operator', passwordEnv: 'CV1_TEST_OPCUA_PASSWORD' },
    });
    const r = await h.next((x) => x.point === 'cv1b.lance_cw_flow_diff' && x.quality === 'Good');
    expect(typeof r.value).toBe('number');
    await h.stop();
  }, 20_000);

  it('SignAndEncrypt with Aes256_Sha256_RsaPss and an X.509 user certificate', async () => {
    const userPki = new OPCUACertificateManager({ rootFolder: join(dir, 'user-pki') });
    await userPki.initialize();
    const certFile = join(dir, 'user-pki', 'own', 'certs', 'operator.pem');
    await userPki.createSelfSignedCertificate({
      outputFile: certFile,
      subject: '/CN=operator/O=yejin-gateway test',
      applicationUri: 'urn:yejin-gateway:test:user:operator',
      dns: [],
      startDate: new Date(Date.now() - 3_600_000),
      validity: 30,
    });
    await userPki.dispose();
    const h = await start('cv1c', {
      security: { mode: 'SignAndEncrypt', policy: 'Aes256_Sha256_RsaPss' },
      auth: { type: 'certificate', certFile, keyFile: join(dir, 'user-pki', 'own', 'private', 'private_key.pem') },
    });
    const r = await h.next((x) => x.point === 'cv1c.lance_autolift_armed' || x.point === 'cv1c.lance_cw_flow_diff');
    expect(r.quality, r.reason).toBe('Good');
    await h.stop();
  }, 20_000);

  it('a wrong password is reported as an authentication failure and retried, without crashing', async () => {
    const h = await start('cv1d', {
      security: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256' },
      auth: { type: 'username', username: 'operator', password: 'wrong' },
    });
    const r = h.readings.find((x) => x.quality === 'BadNotConnected') ?? (await h.next((x) => x.quality === 'BadNotConnected'));
    expect(r.reason).toContain('拒绝了用户身份');
    expect(h.metrics.counter('opcua_connect_failures', { device: 'cv1d', kind: 'auth' })).toBeGreaterThanOrEqual(1);
    await h.stop();
  }, 20_000);
});
