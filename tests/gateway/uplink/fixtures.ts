import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { Reading } from '../../../gateway/core/reading.js';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { createLogger } from '../../../gateway/core/logger.js';
import { openDatabase, type Db } from '../../../gateway/store/database.js';
import { uplinkSectionSchema } from '../../../gateway/uplink/config.js';
import { UplinkSink } from '../../../gateway/uplink/uplink-sink.js';
import type { ConditionUpdate } from '../../../rules/condition.js';
import type { BasePoint } from '../../../gateway/config/point-schema.js';

export const CREDIT_CODE = '91350100M000100Y43';
export const SM4 = { key: '0123456789abcdeffedcba9876543210', iv: 'fedcba98765432100123456789abcdef' };

export interface Harness {
  sink: UplinkSink;
  db: Db;
  metrics: Metrics;
  readings: Subject<Reading>;
  alarms: Subject<AlarmEvent>;
  diagnostics: ConditionUpdate[];
  dir: string;
  /** The uplink's log lines (what the operator reads). */
  log: string[];
  /** Units of the gateway's points as the uplink sees them; a test may add one later, as a device would. */
  units: Map<string, string>;
  close(): Promise<void>;
}

export function makeUplink(section: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'uplink-')), points?: Map<string, BasePoint>): Harness {
  const log: string[] = [];
  const units = new Map([
    ['gh1.co', 'ppm'],
    ['bf1.top_pressure', 'kPa'],
  ]);
  const db = openDatabase(join(dir, 'gateway.db'));
  const metrics = new Metrics();
  const sink = new UplinkSink({
    config: uplinkSectionSchema.parse(section),
    gateway: { id: 'gw-test', creditCode: CREDIT_CODE },
    logger: createLogger({ format: 'pretty', colour: false, write: (line) => log.push(line) }),
    metrics,
    db,
    unitOf: (point) => units.get(point),
    ...(points ? { pointOf: (id: string) => points.get(id) } : {}),
  });
  const readings = new Subject<Reading>();
  const alarms = new Subject<AlarmEvent>();
  const diagnostics: ConditionUpdate[] = [];
  sink.diagnostics$.subscribe((d) => diagnostics.push(d));
  sink.start(readings, alarms);
  return {
    sink,
    db,
    metrics,
    readings,
    alarms,
    diagnostics,
    dir,
    log,
    units,
    async close() {
      await sink.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function reading(point: string, value: number, ts = Date.now()): Reading {
  return { point, value, quality: 'Good', ts, receivedAt: ts };
}

let alarmSeq = 1;
export function alarm(point: string, active: boolean, value: number, ts = Date.now()): AlarmEvent {
  return {
    seq: alarmSeq++,
    alarmId: `${point}:HH`,
    point,
    condition: 'HH',
    severity: 4,
    state: active ? 'UNACK' : 'RTN_UNACK',
    active,
    value,
    limit: 160,
    message: active ? '一氧化碳高高报' : '一氧化碳高高报恢复',
    ts,
  };
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
