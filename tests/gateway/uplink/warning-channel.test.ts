import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { validateConfig } from '../../../gateway/config/load.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { findService } from '../../../gateway/services/registry.js';
import type { Service, ServiceContext, ServiceDefinition } from '../../../gateway/services/service.js';
import type { WarningChannel } from '../../../gateway/core/hidden-danger.js';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { CREDIT_CODE, SM4, until } from './fixtures.js';
import { dangerReport, platformWarning } from './danger-fixtures.js';

const HTTP = { appid: 'gw-appid', appsecret: 'gw-secret', ...SM4 };

/**
 * Stands in for the hidden-danger service: finds the uplink with ctx.service('uplink') as a
 * WarningChannel, opens a record for each warning and feeds back.
 */
function closedLoop(): ServiceDefinition {
  return {
    name: 'closed-loop',
    after: ['uplink'],
    enabled: () => true,
    load: () =>
      Promise.resolve({
        createService: (ctx: ServiceContext): Service => {
          let sub: Subscription | undefined;
          return {
            name: 'closed-loop',
            start: () => {
              const channel = ctx.service<Service & WarningChannel>('uplink')!;
              sub = channel.warnings$.subscribe((w) => {
                channel.sendHiddenDanger(dangerReport({ dangerId: `HD-${w.warningId}`, dangerName: w.title, warningId: w.warningId, dangerSrc: 'monitoring' }));
                channel.sendFeedback({ warningId: w.warningId, state: 'in_hand', hazardId: `HD-${w.warningId}`, content: '已登记隐患并派单整改', handledBy: 'safety-head', at: Date.now() });
              });
              return Promise.resolve();
            },
            stop: () => {
              sub?.unsubscribe();
              return Promise.resolve();
            },
          };
        },
      }),
  };
}

let sim: PlatformSimulator | undefined;
let gw: Gateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  await sim?.stop();
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the uplink service as the WarningChannel', () => {
  it('another service reaches it with ctx.service("uplink"): a platform warning becomes a record and feedback at the platform', async () => {
    sim = new PlatformSimulator({ http: HTTP });
    await sim.start();
    const parsed = validateConfig({
      gateway: { id: 'gw-loop', enterprise: { name: '测试钢铁', creditCode: CREDIT_CODE }, summaryInterval: 0 },
      mqtt: { broker: 'external', url: 'mqtt://127.0.0.1:1' },
      devices: [{ id: 'plc', type: 'modbus-tcp', host: '127.0.0.1', port: 1, enabled: false, points: [{ id: 'p1', name: '测点', table: 'holding', address: 0 }] }],
      uplink: {
        transport: { profile: 'mem-http-sm4', url: sim.url, ...HTTP, timeout: '5s', warnings: { url: sim.warningsUrl, ackUrl: sim.warningAckUrl, pollInterval: '200ms' } },
        points: [{ point: 'p1', code: 'P1' }],
        retry: { initialDelay: '50ms', maxDelay: '200ms' },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    dir = mkdtempSync(join(tmpdir(), 'gw-loop-'));
    gw = new Gateway({ config: parsed.config, log: silentLogger, dataDir: dir, journal: new MemoryJournal(), services: [findService('uplink')!, closedLoop()] });
    await gw.start();
    await sim.issueWarning(platformWarning('W-1', { gatewayCode: 'gw-loop' }));
    await until(() => sim!.warnings.report()[0]?.state === 'in_hand', 10_000, 'feedback at the platform');
    expect(sim.warnings.dangers.get('HD-W-1')).toMatchObject({ revision: 1, stateCode: '0' });
    expect(sim.warnings.dangers.get('HD-W-1')!.record).toMatchObject({ WARNING_ID: 'W-1', DANGER_SRC: '11', DANGER_NAME: '1#煤气柜一氧化碳反复报警' });
    expect(sim.warnings.report()[0]!.receiptAt).toBeDefined();
  }, 30_000);
});
