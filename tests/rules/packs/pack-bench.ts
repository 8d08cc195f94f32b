import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { validateConfig } from '../../../gateway/config/load.js';
import { pointDefinitions, type GatewayConfig } from '../../../gateway/config/schema.js';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { ReadingBus } from '../../../gateway/core/bus.js';
import type { ReadingValue } from '../../../gateway/core/reading.js';
import { buildRuleSet } from '../../../rules/engine.js';

/** A Modbus point for test configs: only id, name and unit matter to the rules. */
export function pt(id: string, name: string, unit = '', extra: Record<string, unknown> = {}) {
  return { id, name, unit, table: 'holding', address: 0, ...extra };
}

/** A whole config around some points, equipment and extra sections. */
export function plant(points: object[], equipment: object[], extra: Record<string, unknown> = {}) {
  return {
    gateway: { id: 'gw1', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' } },
    alarms: { badQuality: { enabled: false }, ...((extra.alarms as object) ?? {}) },
    devices: [{ id: 'plc', type: 'modbus-tcp', host: '127.0.0.1', points }],
    equipment,
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'alarms')),
  };
}

export function parsePlant(data: unknown): GatewayConfig {
  const r = validateConfig(data);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

/**
 * A plant config run through the real engine, reading bus and alarm manager in virtual time: push
 * readings at virtual times, run, and read the alarm events (with their messages and basis).
 */
export class PackBench {
  readonly scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  readonly bus = new ReadingBus();
  readonly journal = new MemoryJournal();
  readonly manager: AlarmManager;
  readonly config: GatewayConfig;

  /** `data` is raw config data, or a config the loader already parsed (`parsed: true`). */
  constructor(data: unknown, parsed = false) {
    this.scheduler.maxFrames = Number.POSITIVE_INFINITY;
    this.config = parsed ? (data as GatewayConfig) : parsePlant(data);
    const points = pointDefinitions(this.config);
    const set = buildRuleSet({ config: this.config, points, point$: (id) => this.bus.point$(id), scheduler: this.scheduler });
    this.manager = new AlarmManager({
      definitions: set.definitions,
      journal: this.journal,
      scheduler: this.scheduler,
      pointInfo: (id) => ({ name: points.get(id)!.name, unit: points.get(id)!.unit, area: points.get(id)!.area, equipment: points.get(id)!.equipment }),
    });
    set.conditions$.subscribe((u) => this.manager.apply(u));
  }

  at(t: number, point: string, value: ReadingValue): this {
    this.scheduler.schedule(() => this.bus.publish({ point, value, quality: 'Good', ts: this.scheduler.now(), receivedAt: this.scheduler.now() }), t);
    return this;
  }

  /** The same value every `step` ms from `from` to `to`. */
  hold(point: string, value: ReadingValue | undefined | ((t: number) => ReadingValue | undefined), from: number, to: number, step = 1000): this {
    for (let t = from; t <= to; t += step) {
      const v = typeof value === 'function' ? value(t) : value;
      if (v !== undefined) this.at(t, point, v);
    }
    return this;
  }

  run(): this {
    this.scheduler.flush();
    return this;
  }

  /** Activations (the condition became present). */
  get raised(): AlarmEvent[] {
    const seen = new Set<string>();
    return this.journal.events.filter((e) => e.active && e.state === 'UNACK' && !seen.has(e.alarmId) && seen.add(e.alarmId) !== undefined);
  }
}
