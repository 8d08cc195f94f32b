import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../gateway/config/load.js';
import type { GatewayConfig } from '../../../gateway/config/schema.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { SERVICES, startOrder } from '../../../gateway/services/registry.js';
import type { Service, ServiceContext, ServiceDefinition } from '../../../gateway/services/service.js';
import { freePort } from '../../helpers/ports.js';

function config(extra: Record<string, unknown> = {}): GatewayConfig {
  const parsed = validateConfig({
    gateway: { id: 'svc-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
    devices: [{ id: 'plc', type: 'modbus-tcp', host: '127.0.0.1', port: 1, enabled: false, points: [{ id: 'p1', name: '测点', table: 'holding', address: 0 }] }],
    ...extra,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

/** A service that records its lifecycle in a shared log. */
function recorder(name: string, log: string[], after: string[] = [], fail = false): ServiceDefinition {
  return {
    name,
    after,
    enabled: () => true,
    load: () =>
      Promise.resolve({
        createService: (ctx: ServiceContext): Service => ({
          name,
          start: () => {
            log.push(`start ${name} (gateway ${ctx.gatewayId}, point p1 ${ctx.points.has('p1') ? 'known' : 'missing'})`);
            return fail ? Promise.reject(new Error('port in use')) : Promise.resolve();
          },
          stop: () => {
            log.push(`stop ${name}`);
            return Promise.resolve();
          },
        }),
      }),
  };
}

describe('service registry and composition root', () => {
  it('orders services so every dependency starts first, whatever the registry order', () => {
    const defs = [recorder('http', [], ['api', 'broker']), recorder('api', [], ['broker']), recorder('broker', [])];
    expect(startOrder(config(), defs).map((s) => s.name)).toEqual(['broker', 'api', 'http']);
  });

  it('names a dependency cycle and an unknown dependency', () => {
    expect(() => startOrder(config(), [recorder('a', [], ['b']), recorder('b', [], ['a'])])).toThrow(/cycle: a → b → a/);
    expect(() => startOrder(config(), [recorder('a', [], ['nope'])])).toThrow(/unknown dependency "nope"/);
  });

  it('skips disabled services: no influx, uplink or http without their sections', () => {
    expect(startOrder(config()).map((s) => s.name)).toEqual(['mqtt-broker', 'mqtt-publisher', 'control', 'terminal', 'history']);
    expect(startOrder(config({ history: { enabled: false } })).map((s) => s.name)).not.toContain('history');
    expect(startOrder(config({ http: { port: 0 } })).map((s) => s.name)).toContain('http');
    expect(startOrder(config({ mqtt: { broker: 'external', url: 'mqtt://127.0.0.1:1' } })).map((s) => s.name)).not.toContain('mqtt-broker');
  });

  it('starts services in dependency order and stops them in reverse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-svc-'));
    const log: string[] = [];
    const gw = new Gateway({ config: config(), log: silentLogger, dataDir: dir, journal: new MemoryJournal(), services: [recorder('b', log, ['a']), recorder('a', log)] });
    await gw.start();
    expect(gw.readiness().ready).toBe(true);
    await gw.stop();
    expect(log).toEqual(['start a (gateway svc-gw, point p1 known)', 'start b (gateway svc-gw, point p1 known)', 'stop b', 'stop a']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a service that fails to start names itself, and the ones started before it are stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-svc-'));
    const log: string[] = [];
    const gw = new Gateway({ config: config(), log: silentLogger, dataDir: dir, journal: new MemoryJournal(), services: [recorder('a', log), recorder('b', log, ['a'], true)] });
    await expect(gw.start()).rejects.toThrow('b: port in use');
    expect(gw.readiness()).toMatchObject({ ready: false, services: [{ name: 'a', started: true }, { name: 'b', started: false, detail: 'not started' }] });
    await gw.stop();
    expect(log).toEqual(['start a (gateway svc-gw, point p1 known)', 'start b (gateway svc-gw, point p1 known)', 'stop a']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('service health points are points: rules may name them and the registry knows them', async () => {
    const cfg = config({ uplink: { transport: { profile: 'mqtt', url: 'mqtt://127.0.0.1:1' }, points: [{ point: 'p1', code: 'P1' }] }, rules: [{ id: 'uplink-down', kind: 'discrete', point: 'gateway.uplink.link_up', alarmWhen: false, condition: 'COMM', severity: 3 }] });
    const dir = mkdtempSync(join(tmpdir(), 'gw-svc-'));
    const gw = new Gateway({ config: cfg, log: silentLogger, dataDir: dir, mqttPort: await freePort() });
    expect(gw.points.get('gateway.uplink.link_up')).toMatchObject({ name: '省级平台上报链路状态', area: 'gateway', device: 'gateway' });
    expect(gw.points.get('gateway.mqtt.connected')).toBeDefined();
    expect(gw.alarms.has('gateway.uplink.link_up:COMM')).toBe(true);
    gw.alarms.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every registered service has a loadable module with createService', async () => {
    for (const def of SERVICES) expect(typeof (await def.load()).createService, def.name).toBe('function');
  });
});
