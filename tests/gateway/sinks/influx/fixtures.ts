import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { Reading } from '../../../../gateway/core/reading.js';
import type { AlarmEvent } from '../../../../gateway/core/alarm-event.js';
import { Metrics } from '../../../../gateway/core/metrics.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { openDatabase, type Db } from '../../../../gateway/store/database.js';
import { influxSectionSchema } from '../../../../gateway/sinks/influx/config.js';
import { InfluxSink } from '../../../../gateway/sinks/influx/influx-sink.js';
import type { ConditionUpdate } from '../../../../rules/condition.js';

export const POINTS = new Map([
  ['bf1.top_pressure', { equipment: '1#高炉' }],
  ['gh1.co', { equipment: '煤气柜 活塞上部' }],
  ['dc1.hopper_temp', { equipment: undefined }],
]);

export interface InfluxHarness {
  sink: InfluxSink;
  metrics: Metrics;
  db: Db;
  readings: Subject<Reading>;
  alarms: Subject<AlarmEvent>;
  diagnostics: ConditionUpdate[];
  close(): Promise<void>;
}

export function makeInfluxSink(section: Record<string, unknown>): InfluxHarness {
  const dir = mkdtempSync(join(tmpdir(), 'influx-sink-'));
  const db = openDatabase(join(dir, 'gateway.db'));
  const metrics = new Metrics();
  const sink = new InfluxSink({ config: influxSectionSchema.parse(section), gatewayId: 'plant-a', logger: silentLogger, metrics, db, points: POINTS });
  const readings = new Subject<Reading>();
  const alarms = new Subject<AlarmEvent>();
  const diagnostics: ConditionUpdate[] = [];
  sink.diagnostics$.subscribe((d) => diagnostics.push(d));
  sink.start(readings, alarms);
  return {
    sink,
    metrics,
    db,
    readings,
    alarms,
    diagnostics,
    async close() {
      await sink.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A stream of readings over the three points with distinct, strictly increasing timestamps. */
export function readingAt(i: number, base: number): Reading {
  const ids = [...POINTS.keys()];
  const point = ids[i % ids.length]!;
  const ts = base + i * 10;
  return { point, value: i % 17 === 0 ? null : i * 1.5, quality: i % 17 === 0 ? 'BadCommunicationError' : 'Good', ts, receivedAt: ts };
}

export function alarmAt(seq: number, ts: number): AlarmEvent {
  const active = seq % 2 === 1;
  return { seq, alarmId: 'gh1.co:HH', point: 'gh1.co', condition: 'HH', severity: 4, state: active ? 'UNACK' : 'RTN_UNACK', active, value: 150 + seq, limit: 160, message: '煤气柜活塞上部一氧化碳高高报', ts };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Feeds readings i in [from, to) spread over about `ms`. */
export async function feed(h: InfluxHarness, from: number, to: number, base: number, ms: number): Promise<void> {
  const step = Math.max(1, Math.floor((to - from) / 10));
  for (let i = from; i < to; i++) {
    h.readings.next(readingAt(i, base));
    if ((i - from) % step === step - 1) await new Promise((r) => setTimeout(r, ms / 10));
  }
}
