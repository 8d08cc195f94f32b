import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../gateway/runtime/gateway.js';
import { validateConfig } from '../../gateway/config/load.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { RegisterServer } from '../../simulators/modbus/register-server.js';
import { PlatformSimulator } from '../../simulators/platform/platform-simulator.js';
import { VictoriaMetricsServer } from '../helpers/victoria-metrics.js';
import { freePort, waitFor } from '../helpers/ports.js';

const SM4 = { appid: 'demo-appid', appsecret: 'demo-secret', key: '0123456789abcdeffedcba9876543210', iv: 'fedcba98765432100123456789abcdef' };

/**
 * The whole gateway with both northbound sinks: a CO alarm read over Modbus reaches the provincial
 * platform (HTTP + SM4) and VictoriaMetrics; a platform outage raises the gateway's own LINK_DOWN
 * alarm, and after recovery every message arrives, in order, once.
 */
describe('gateway northbound: history and provincial uplink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-north-'));
  const plc = new RegisterServer();
  let vm: VictoriaMetricsServer;
  let platform: PlatformSimulator;
  let gateway: Gateway;

  beforeAll(async () => {
    const modbusPort = await plc.start();
    vm = await VictoriaMetricsServer.start();
    platform = new PlatformSimulator({ http: { ...SM4, path: '/api/data' } });
    await platform.start();
    const parsed = validateConfig({
      gateway: { id: 'north-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
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
      influx: { api: 'v2', url: vm.url, bucket: 'safety', flushInterval: '100ms' },
      uplink: {
        transport: { profile: 'mem-http-sm4', url: platform.url, ...SM4, timeout: '1s' },
        points: [{ point: 'booster.co', code: 'CO-2002-01' }],
        snapshotPeriod: '500ms',
        heartbeatPeriod: '1s',
        linkDownAlarmAfter: '1s',
        replayRate: 0,
        retry: { initialDelay: '100ms', maxDelay: '300ms' },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
    await gateway.start();
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
    await vm?.dispose();
    await plc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers an alarm to both, raises LINK_DOWN during an outage and catches up in order', async () => {
    plc.bank(1).write('holding', 0, 200, 'uint16');
    const alarmItem = () => platform.arrivals.flatMap((a) => (a.envelope.type === 'alarm' ? a.envelope.items : [])).find((i) => i.alarmType === 'HH' && i.alarmActive);
    const item = await waitFor(alarmItem, 15_000, 'HH alarm at the platform').catch((e: Error) => {
      throw new Error(`${e.message}\nalarms: ${JSON.stringify(gateway.alarms.annunciated().map((a) => a.alarmId))}\narrivals: ${JSON.stringify(platform.arrivals.map((a) => [a.envelope.type, a.envelope.items]))}\nrejections: ${JSON.stringify(platform.rejections)}\nmetrics: ${JSON.stringify(gateway.metrics.snapshot())}`);
    });
    expect(item).toMatchObject({ pointCode: 'CO-2002-01', value: 200, unit: 'ppm', alarmLevel: 3, limit: 160 });
    await waitFor(() => platform.arrivals.some((a) => a.envelope.type === 'realtime'), 5000, 'a realtime snapshot');
    await waitFor(() => platform.arrivals.some((a) => a.envelope.type === 'heartbeat'), 5000, 'a heartbeat');
    await waitFor(async () => (await vm.export('{__name__="alarm_event_seq", alarm_id="booster.co:HH"}')).length > 0, 15_000, 'alarm in VictoriaMetrics');
    const values = await vm.export('{__name__="reading_value", point="booster.co"}');
    expect(values[0]!.values).toContain(200);

    await platform.setMode('refuse');
    await waitFor(() => gateway.alarms.get('uplink:LINK_DOWN').facts.active, 15_000, 'uplink:LINK_DOWN raised');
    expect(gateway.alarms.get('uplink:LINK_DOWN').message).toContain('省级预警平台上报链路中断');
    plc.bank(1).write('holding', 0, 10, 'uint16'); // CO back to normal during the outage
    await waitFor(() => !gateway.alarms.get('booster.co:HH').facts.active, 10_000, 'HH cleared');
    const before = platform.arrivals.length;

    await platform.setMode('ok');
    await waitFor(() => !gateway.alarms.get('uplink:LINK_DOWN').facts.active, 20_000, 'uplink:LINK_DOWN cleared');
    const cleared = await waitFor(
      () => platform.arrivals.slice(before).find((a) => a.envelope.type === 'alarm' && a.envelope.items.some((i) => i.alarmType === 'HH' && i.alarmActive === false)),
      20_000,
      'the HH return to normal, sent after recovery',
    );
    expect(cleared.envelope.historical).toBe(true);
    const seqs = platform.arrivals.map((a) => a.envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(platform.duplicates).toEqual([]);
  }, 90_000);
});
