import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ReadingBus } from '../../gateway/core/bus.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { QualityCode } from '../../gateway/core/quality.js';
import { validateConfig } from '../../gateway/config/load.js';
import { pointDefinitions, type GatewayConfig } from '../../gateway/config/schema.js';
import { AlarmManager, MemoryJournal } from '../../gateway/alarms/alarm-manager.js';
import { RuleRunner } from '../../gateway/runtime/rule-runner.js';
import { buildRuleSet } from '../../rules/engine.js';

/** The raw config a test patches before validation (validateConfig parses it). */
interface RawConfig {
  devices: { points: Record<string, unknown>[]; [field: string]: unknown }[];
  suppression: unknown[];
  [section: string]: unknown;
}

function config(patch: (c: RawConfig) => void = () => undefined): GatewayConfig {
  const c: RawConfig = {
    gateway: { id: 'gw', enterprise: { name: '测试', creditCode: '91350100M000100Y43' } },
    devices: [
      {
        id: 'plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        points: [
          { id: 'co', name: '一氧化碳', unit: 'ppm', area: 'gas', table: 'holding', address: 0, limits: { H: 24, HH: 160 } },
          { id: 'hopper', name: '灰斗温度', unit: '°C', area: 'dust', table: 'holding', address: 1, limits: { H: 70 } },
          { id: 'fan', name: '风机运行', area: 'dust', table: 'coil', address: 0 },
        ],
      },
    ],
    alarms: { badQuality: { onDelay: 20 } },
    suppression: [{ id: 'fan-stopped', when: { point: 'fan', equals: false }, points: ['hopper'], reason: '除尘器风机停运' }],
  };
  patch(c);
  const r = validateConfig(c);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

/** Bus, rules and alarm manager on a virtual clock, as the runtime wires them. */
function harness(cfg: GatewayConfig, scheduler: TestScheduler) {
  const bus = new ReadingBus();
  const points = pointDefinitions(cfg);
  const journal = new MemoryJournal();
  const build = (c: GatewayConfig) => buildRuleSet({ config: c, points: pointDefinitions(c), point$: (id) => bus.point$(id), scheduler });
  const set = build(cfg);
  const manager = new AlarmManager({ definitions: set.definitions, journal, scheduler, pointInfo: (id) => ({ name: points.get(id)!.name, unit: points.get(id)!.unit, area: points.get(id)!.area }) });
  const runner = new RuleRunner(manager, silentLogger);
  runner.apply(set);
  const at = (t: number, point: string, value: number | boolean | null, quality: QualityCode = 'Good') =>
    scheduler.schedule(() => bus.publish({ point, value, quality, ts: scheduler.now(), receivedAt: scheduler.now() }), t);
  return { bus, manager, journal, runner, build, at };
}

describe('rule engine with the alarm manager (virtual time)', () => {
  it('H then HH: escalation annunciates the HH alarm on its own', () => {
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const h = harness(config(), s);
      h.at(1, 'co', 30);
      h.at(2, 'co', 170);
      s.schedule(() => {
        h.manager.acknowledge('co:H', '张三');
        expect(h.manager.get('co:H').state).toBe('ACKED');
        expect(h.manager.get('co:HH').state).toBe('UNACK');
        expect(h.journal.events.map((e) => [e.alarmId, e.state])).toEqual([
          ['co:H', 'UNACK'],
          ['co:HH', 'UNACK'],
          ['co:H', 'ACKED'],
        ]);
      }, 3);
    });
  });

  it('Bad quality raises the point diagnostic after its on-delay and holds the process alarm', () => {
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const h = harness(config(), s);
      h.at(1, 'co', 200);
      h.at(5, 'co', null, 'BadTimeout');
      h.at(10, 'co', null, 'BadTimeout');
      s.schedule(() => expect(h.manager.get('co:BAD_QUALITY').state).toBe('NORMAL'), 24);
      s.schedule(() => {
        expect(h.manager.get('co:BAD_QUALITY').state).toBe('UNACK');
        expect(h.manager.get('co:HH').facts.active).toBe(true);
      }, 26);
      h.at(30, 'co', 5);
      s.schedule(() => {
        expect(h.manager.get('co:BAD_QUALITY').state).toBe('RTN_UNACK');
        expect(h.manager.get('co:HH').state).toBe('RTN_UNACK');
      }, 31);
    });
  });

  it('a stopped fan suppresses the hopper alarms, visibly, and releases them when it runs', () => {
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const h = harness(config(), s);
      h.at(1, 'fan', true);
      h.at(2, 'fan', false);
      h.at(3, 'hopper', 90);
      s.schedule(() => {
        expect(h.manager.get('hopper:H').state).toBe('SUPPRESSED');
        expect(h.manager.get('hopper:H').facts.active).toBe(true);
        expect(h.manager.annunciated()).toEqual([]);
      }, 4);
      h.at(5, 'fan', null, 'BadCommunicationError'); // a Bad gate reading changes nothing
      s.schedule(() => expect(h.manager.get('hopper:H').state).toBe('SUPPRESSED'), 6);
      h.at(7, 'fan', true);
      s.schedule(() => {
        expect(h.manager.get('hopper:H').state).toBe('UNACK');
        const suppression = h.journal.events.find((e) => e.state === 'SUPPRESSED')!;
        expect(suppression.comment).toBe('除尘器风机停运');
      }, 8);
    });
  });

  it('hot reload keeps the state of unchanged rules and restarts changed ones', () => {
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const h = harness(config(), s);
      h.at(1, 'co', 200);
      h.at(1, 'hopper', 80);
      s.schedule(() => {
        h.manager.acknowledge('co:HH', '张三');
        // New config: hopper limit moved to 85; CO untouched.
        const next = config((c) => (c.devices[0]!.points[1]!.limits = { H: 85 }));
        h.runner.apply(h.build(next));
        expect(h.manager.get('co:HH').state).toBe('ACKED');
        expect(h.manager.get('hopper:H').state).toBe('NORMAL');
        expect(h.journal.events.at(-1)!.comment).toBe('规则已修改，报警复位');
      }, 2);
      h.at(3, 'hopper', 80);
      h.at(3, 'co', 200);
      s.schedule(() => {
        expect(h.manager.get('hopper:H').state).toBe('NORMAL');
        expect(h.manager.get('hopper:H').limit).toBe(85);
        expect(h.manager.get('co:HH').state).toBe('ACKED');
      }, 4);
      h.at(5, 'hopper', 86);
      s.schedule(() => expect(h.manager.get('hopper:H').state).toBe('UNACK'), 6);
    });
  });

  it('marks the first alarm of a burst and the alarms of a flood, dropping none', () => {
    const s = new TestScheduler(() => undefined);
    s.run(() => {
      const many = config((c) => {
        c.devices[0]!.points = Array.from({ length: 12 }, (_, i) => ({ id: `d${i}`, name: `探头${i}`, unit: 'ppm', area: 'gas', table: 'holding', address: i, limits: { H: 24 } }));
        c.suppression = [];
      });
      const h = harness(many, s);
      for (let i = 0; i < 12; i++) h.at(1000 + i * 1000, `d${i}`, 50);
      s.schedule(() => {
        const raised = h.journal.events.filter((e) => e.active && e.state === 'UNACK');
        expect(raised).toHaveLength(12);
        expect(raised.filter((e) => e.firstOut).map((e) => e.alarmId)).toEqual(['d0:H']);
        expect(raised.filter((e) => e.flood).map((e) => e.alarmId)).toEqual(['d10:H', 'd11:H']);
        expect(h.manager.floods()).toEqual([{ area: 'gas', count: 12, firstOut: 'd0:H' }]);
      }, 20_000);
    });
  });
});
