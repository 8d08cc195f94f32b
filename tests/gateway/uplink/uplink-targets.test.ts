import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { validateConfig } from '../../../gateway/config/load.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { freePort, waitFor } from '../../helpers/ports.js';

const SM4 = { appid: 'demo-appid', appsecret: 'demo-secret', key: '0123456789abcdeffedcba9876543210', iv: 'fedcba98765432100123456789abcdef' };

const common = {
  points: [{ point: 'booster.co', code: 'CO-2002-01' }],
  snapshotPeriod: '500ms',
  heartbeatPeriod: '1s',
  linkDownAlarmAfter: '1s',
  replayRate: 0,
  retry: { initialDelay: '100ms', maxDelay: '300ms' },
};

/**
 * A gateway with two uplink targets: the province over HTTP+SM4 and the county centre over MQTT
 * (a real mosquitto). The province goes down: its own LINK_DOWN alarm and health point say so, its
 * queue holds the data, and the county keeps receiving alarms at once; after recovery the province
 * gets its backlog in order, once.
 */
describe('uplink.targets: two targets, one down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-targets-'));
  const plc = new RegisterServer();
  let broker: MosquittoServer;
  let province: PlatformSimulator;
  let county: PlatformSimulator;
  let gateway: Gateway;

  beforeAll(async () => {
    const modbusPort = await plc.start();
    broker = await MosquittoServer.start();
    province = new PlatformSimulator({ http: { ...SM4, path: '/api/data' } });
    await province.start();
    county = new PlatformSimulator({ mqtt: { url: broker.url, topic: 'safety/#', clientId: 'county-centre-sim' } });
    await county.start();
    const parsed = validateConfig({
      gateway: { id: 'two-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
      mqtt: { port: await freePort() },
      storage: { dataDir: join(dir, 'data') },
      devices: [
        {
          id: 'plc',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port: modbusPort,
          pollInterval: '100ms',
          points: [{ id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', unit: 'ppm', table: 'holding', address: 0, limits: { preset: 'CO_GAS_AREA' } }],
        },
      ],
      uplink: {
        targets: [
          { name: 'province', transport: { profile: 'mem-http-sm4', url: province.url, ...SM4, timeout: '1s' }, ...common },
          { name: 'county', transport: { profile: 'mqtt', url: broker.url, clientId: 'two-gw-county', ackTimeout: '2s', connectTimeout: '1s' }, ...common },
        ],
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await gateway.start();
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await province?.stop();
    await county?.stop();
    await broker?.dispose();
    await plc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the county live while the province is down, each with its own queue, alarm and health point', async () => {
    await waitFor(() => province.arrivals.some((a) => a.envelope.type === 'heartbeat') && county.arrivals.some((a) => a.envelope.type === 'heartbeat'), 15_000, 'heartbeats at both');
    expect(existsSync(join(dir, 'data', 'uplink-province.db'))).toBe(true);
    expect(existsSync(join(dir, 'data', 'uplink-county.db'))).toBe(true);

    await province.setMode('refuse');
    await waitFor(() => gateway.alarms.get('uplink.province:LINK_DOWN').facts.active, 15_000, 'uplink.province:LINK_DOWN raised');
    expect(gateway.alarms.get('uplink.province:LINK_DOWN').message).toContain('province');
    expect(gateway.points.latest('gateway.uplink.province.link_up')?.value).toBe(false);
    expect(gateway.points.latest('gateway.uplink.county.link_up')?.value).toBe(true);

    // An alarm during the outage reaches the county within seconds, not after the province's retries.
    const raisedAt = Date.now();
    plc.bank(1).write('holding', 0, 200, 'uint16');
    const countyAlarm = await waitFor(
      () => county.arrivals.find((a) => a.envelope.type === 'alarm' && a.envelope.items.some((i) => i.alarmType === 'HH' && i.alarmActive)),
      10_000,
      'the HH alarm at the county',
    );
    expect(countyAlarm.envelope.historical).toBe(false);
    expect(Date.now() - raisedAt).toBeLessThan(8000);
    expect(gateway.alarms.get('uplink.county:LINK_DOWN').facts.active).toBe(false);
    expect(gateway.metrics.gauge('uplink_queue_messages', { target: 'province' })).toBeGreaterThan(0);
    expect(gateway.metrics.counter('uplink_send_failures_total', { target: 'province' })).toBeGreaterThan(0);
    expect(gateway.metrics.counter('uplink_send_failures_total', { target: 'county' })).toBe(0);

    await province.setMode('ok');
    await waitFor(() => !gateway.alarms.get('uplink.province:LINK_DOWN').facts.active, 20_000, 'uplink.province:LINK_DOWN cleared');
    const replayed = await waitFor(
      () => province.arrivals.find((a) => a.envelope.type === 'alarm' && a.envelope.items.some((i) => i.alarmType === 'HH' && i.alarmActive)),
      20_000,
      'the HH alarm at the province after recovery',
    );
    expect(replayed.envelope.historical).toBe(true);
    for (const sim of [province, county]) {
      const seqs = sim.arrivals.map((a) => a.envelope.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(sim.duplicates).toEqual([]);
    }
  }, 90_000);
});
