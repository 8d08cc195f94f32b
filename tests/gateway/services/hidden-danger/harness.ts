import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { AlarmManager } from '../../../../gateway/alarms/alarm-manager.js';
import { SqliteAlarmJournal } from '../../../../gateway/alarms/sqlite-journal.js';
import type { Principal } from '../../../../gateway/auth/permissions.js';
import { validateConfig } from '../../../../gateway/config/load.js';
import { pointDefinitions, type GatewayConfig } from '../../../../gateway/config/schema.js';
import { ReadingBus } from '../../../../gateway/core/bus.js';
import type { AlarmDefinition, ConditionUpdate } from '../../../../gateway/core/condition.js';
import type { HiddenDangerReport, WarningChannel } from '../../../../gateway/core/hidden-danger.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { Metrics } from '../../../../gateway/core/metrics.js';
import type { PlatformWarning, WarningFeedback } from '../../../../gateway/core/platform-warning.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import { HttpRoutes } from '../../../../gateway/services/http-routes.js';
import { HiddenDangerService } from '../../../../gateway/services/hidden-danger/service.js';
import type { ServiceContext } from '../../../../gateway/services/service.js';
import { openDatabase, type Db } from '../../../../gateway/store/database.js';

export const CREDIT_CODE = '91350100M000100Y43';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Virtual time starts on 2026-03-02 08:00 (UTC+8), so record numbers and months look real. */
export const T0 = Date.UTC(2026, 2, 2, 0, 0, 0);

export const USERS: Record<string, Principal> = {
  viewer: { name: 'viewer1', role: 'viewer', areas: ['*'] },
  opGas: { name: 'op-gas', role: 'operator', areas: ['gas'] },
  opGas2: { name: 'op-gas2', role: 'operator', areas: ['gas'] },
  opDust: { name: 'op-dust', role: 'operator', areas: ['dust'] },
  super: { name: 'super1', role: 'supervisor', areas: ['gas'] },
  eng: { name: 'eng1', role: 'engineer', areas: ['*'] },
  engDust: { name: 'eng-dust', role: 'engineer', areas: ['dust'] },
  admin: { name: 'admin1', role: 'admin', areas: ['*'] },
};

/** The uplink side as the hidden-danger service sees it: a Subject of warnings and what was sent. */
export class FakeChannel implements WarningChannel {
  readonly warnings = new Subject<PlatformWarning>();
  readonly warnings$ = this.warnings.asObservable();
  readonly feedback: WarningFeedback[] = [];
  readonly reports: HiddenDangerReport[] = [];
  sendFeedback(f: WarningFeedback): void {
    this.feedback.push(f);
  }
  sendHiddenDanger(r: HiddenDangerReport): void {
    this.reports.push(r);
  }
}

export const ALARMS: AlarmDefinition[] = [
  { alarmId: 'booster.co:HH', point: 'booster.co', condition: 'HH', severity: 3, label: '高高报', limit: 160, ruleId: 'booster.co' },
  { alarmId: 'booster.co:BAD_QUALITY', point: 'booster.co', condition: 'BAD_QUALITY', severity: 2, label: '质量坏', ruleId: 'booster.co:q' },
  { alarmId: 'dc.hopper:H', point: 'dc.hopper', condition: 'H', severity: 2, label: '高报', limit: 80, ruleId: 'dc.hopper' },
  { alarmId: 'bf1.relief:BYPASS', point: 'bf1.relief', condition: 'BYPASS', severity: 4, label: '联锁旁路', ruleId: 'bf1.relief' },
];

export function testConfig(hiddenDanger: Record<string, unknown>): GatewayConfig {
  const r = validateConfig({
    gateway: { id: 'hd-gw', enterprise: { name: '测试钢铁', creditCode: CREDIT_CODE }, summaryInterval: 0 },
    devices: [
      {
        id: 'plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        port: 1,
        points: [
          { id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', area: 'gas', unit: 'ppm', table: 'holding', address: 0 },
          { id: 'dc.hopper', name: '除尘器灰斗温度', equipment: '1#除尘器', area: 'dust', unit: '°C', table: 'holding', address: 1 },
          { id: 'bf1.relief', name: '炉顶放散阀联锁', equipment: '1#高炉', area: 'bf', unit: '', table: 'holding', address: 2 },
        ],
      },
    ],
    hiddenDanger,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

export interface Loop {
  service: HiddenDangerService;
  channel: FakeChannel;
  alarms: AlarmManager;
  scheduler: VirtualTimeScheduler;
  diagnostics: ConditionUpdate[];
  db: Db;
  dir: string;
  /** Moves virtual time forward by `ms`, running every timer due. */
  advance(ms: number): void;
  raise(alarmId: string, value?: number): void;
  clear(alarmId: string, value?: number): void;
  /** Restarts the service on the same database (as after a gateway restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The hidden-danger service on a real AlarmManager and SQLite, with virtual time and a fake channel. */
export async function startLoop(hiddenDanger: Record<string, unknown>, o: { channel?: boolean } = {}): Promise<Loop> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-hd-'));
  const config = testConfig(hiddenDanger);
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  scheduler.frame = T0;
  const points = new PointRegistry(pointDefinitions(config));
  const db = openDatabase(join(dir, 'gateway.db'));
  const alarms = new AlarmManager({
    definitions: ALARMS,
    pointInfo: (id) => {
      const p = points.get(id);
      return p ? { name: p.name, unit: p.unit, equipment: p.equipment, area: p.area } : { name: id, unit: '', area: 'gateway' };
    },
    // The real journal: its audit log is where past shelves are counted from after a restart.
    journal: new SqliteAlarmJournal(db),
    scheduler,
    maxShelveMs: 8 * HOUR,
  });
  const channel = new FakeChannel();
  const diagnostics: ConditionUpdate[] = [];
  const ctx: ServiceContext = {
    config,
    gatewayId: 'hd-gw',
    dataDir: dir,
    readings$: new Subject(),
    historicalReadings$: new Subject(),
    alarmEvents$: alarms.events$,
    bus: new ReadingBus(),
    points,
    alarms,
    scheduler,
    now: () => scheduler.now(),
    log: silentLogger,
    metrics: new Metrics(),
    db,
    queueDb: () => db,
    write: () => undefined,
    overrides: {},
    http: new HttpRoutes(),
    service: () => undefined,
  };
  const make = async () => {
    const s = new HiddenDangerService(ctx, config.hiddenDanger!, { channel: o.channel === false ? undefined : channel });
    await s.start();
    s.diagnostics$.subscribe((d) => diagnostics.push(d));
    return s;
  };
  const loop: Loop = {
    service: await make(),
    channel,
    alarms,
    scheduler,
    diagnostics,
    db,
    dir,
    advance(ms) {
      const to = scheduler.frame + ms;
      scheduler.maxFrames = to;
      scheduler.flush();
      scheduler.frame = to;
    },
    raise: (alarmId, value = 200) => alarms.apply({ alarmId, active: true, value, ts: scheduler.now() }),
    clear: (alarmId, value = 5) => alarms.apply({ alarmId, active: false, value, ts: scheduler.now() }),
    async restart() {
      await loop.service.stop();
      loop.service = await make();
    },
    async stop() {
      await loop.service.stop();
      alarms.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return loop;
}
