import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadingBus } from '../../../../gateway/core/bus.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { Metrics } from '../../../../gateway/core/metrics.js';
import type { PointDefinition } from '../../../../gateway/core/point.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import type { Reading } from '../../../../gateway/core/reading.js';
import { historySectionSchema } from '../../../../gateway/services/history/config.js';
import { MAX_CHUNK_SAMPLES, OpenChunks, qualityClass, storedValue, type ChunkRow } from '../../../../gateway/services/history/chunks.js';
import { Downsampler } from '../../../../gateway/services/history/downsampler.js';
import { HistoryStore } from '../../../../gateway/services/history/history-store.js';
import { CHUNK_SPAN_MS, HistoryService } from '../../../../gateway/services/history/service.js';
import type { ServiceContext } from '../../../../gateway/services/service.js';
import { openDatabase } from '../../../../gateway/store/database.js';

const co: PointDefinition = { id: 'co', name: '一氧化碳', unit: 'ppm', area: 'gas', device: 'plc', range: { low: 0, high: 1000 } };
const reading = (ts: number, value: Reading['value'], quality: Reading['quality'] = 'Good', point = 'co'): Reading => ({ point, ts, receivedAt: ts, value, quality });

/** Chunks of `perChunk` samples of point co, values i at ts i s; sample 50 Bad. */
function chunksOf(count: number, perChunk: number): ChunkRow[] {
  const open = new OpenChunks();
  const rows: ChunkRow[] = [];
  for (let i = 0; i < count; i++) {
    open.add('co', 0, i * 1000, storedValue(i), qualityClass(i === 50 ? 'BadTimeout' : 'Good'), 0);
    if ((i + 1) % perChunk === 0) rows.push(...open.takeAll());
  }
  rows.push(...open.takeAll());
  return rows;
}

describe('local history', () => {
  it('keeps a reading when it moves beyond the deadband, its quality changes, or maxInterval passes; at most one per minInterval', () => {
    // Deadband 0.5 % of a 0–1000 ppm range = 5 ppm.
    const d = new Downsampler({ deadbandPercent: 0.5, maxInterval: 60_000, minInterval: 1000 }, () => co);
    const kept = [
      reading(0, 10), // first
      reading(1000, 13), // within 5 ppm: dropped
      reading(2000, 16), // moved 6: kept
      reading(2500, 40), // within minInterval: dropped
      reading(3000, 40), // kept
      reading(4000, 40, 'BadCommunicationError'), // quality changed: kept
      reading(5000, 40, 'BadCommunicationError'), // dropped
      reading(64_000, 40, 'BadCommunicationError'), // maxInterval: kept
    ].filter((r) => d.keep(r, 0));
    expect(kept.map((r) => r.ts)).toEqual([0, 2000, 3000, 4000, 64_000]);
  });

  it('takes a changed range after a reload', () => {
    let range = { low: 0, high: 1000 };
    const d = new Downsampler({ deadbandPercent: 1, maxInterval: 60_000, minInterval: 0 }, () => ({ ...co, range }));
    expect(d.keep(reading(0, 100), 0)).toBe(true);
    expect(d.keep(reading(1000, 105), 0)).toBe(false); // 1 % of 1000 = 10
    range = { low: 0, high: 100 };
    expect(d.keep(reading(2000, 105), 0)).toBe(false); // range looked up once, until forgotten
    d.forgetRanges();
    expect(d.keep(reading(3000, 105), 0)).toBe(true); // 1 % of 100 = 1
  });

  it('answers a trend raw or in bucket means with extremes across chunks, and prunes by age', () => {
    const db = openDatabase(':memory:');
    const store = new HistoryStore(db);
    store.write(chunksOf(100, 25));
    expect(store.trend('co', 0, 100_000, 1000)).toHaveLength(100);
    expect(store.trend('co', 10_000, 12_000, 1000).map((s) => s.ts)).toEqual([10_000, 11_000]);
    const buckets = store.trend('co', 0, 100_000, 10);
    expect(buckets).toHaveLength(10);
    expect(buckets[0]).toMatchObject({ ts: 0, value: 4.5, min: 0, max: 9, bad: false });
    expect(buckets[5]!.bad).toBe(true);
    expect(buckets.filter((b) => b.bad)).toHaveLength(1);
    expect(store.trend('other', 0, 100_000, 10)).toEqual([]);
    // Chunks are pruned whole once their last sample is older than the cut.
    expect(store.pruneStep(50_000)).toBe(2);
    expect(store.trend('co', 0, 100_000, 1000)[0]!.ts).toBe(50_000);
    db.close();
  });

  it('stores booleans as 1/0 and null or non-finite values as gaps, and orders late samples', () => {
    const db = openDatabase(':memory:');
    const store = new HistoryStore(db);
    const open = new OpenChunks();
    for (const [ts, v] of [
      [3000, true],
      [1000, null],
      [2000, Infinity],
      [4000, false],
    ] as const)
      open.add('co', 0, ts, storedValue(v), qualityClass('Good'), 0);
    store.write(open.takeAll());
    expect(store.trend('co', 0, 10_000, 100).map((s) => [s.ts, s.value])).toEqual([
      [1000, null],
      [2000, null],
      [3000, 1],
      [4000, 0],
    ]);
    db.close();
  });

  it('still reads and prunes the rows of the released one-row-per-reading table', () => {
    const db = openDatabase(':memory:');
    const store = new HistoryStore(db);
    const insert = db.prepare('INSERT INTO reading_history (point, ts, value, quality) VALUES (?, ?, ?, ?)');
    for (let i = 0; i < 10; i++) insert.run('co', i * 1000, i, i === 3 ? 'BadTimeout' : 'Good');
    store.write(chunksOf(0, 1)); // nothing
    const open = new OpenChunks();
    open.add('co', 0, 10_000, 10, qualityClass('Good'), 0);
    store.write(open.takeAll());
    const trend = store.trend('co', 0, 20_000, 100);
    expect(trend.map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(trend[3]!.bad).toBe(true);
    expect(store.pruneStep(5000)).toBe(5);
    expect(store.trend('co', 0, 20_000, 100)).toHaveLength(6);
    db.close();
  });
});

describe('history service', () => {
  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'history-'));
    const db = openDatabase(join(dir, 'gateway.db'));
    const bus = new ReadingBus();
    const points = new PointRegistry([
      ['co', co],
      ['fan', { ...co, id: 'fan', range: undefined }],
    ]);
    const metrics = new Metrics();
    const clock = { now: 1_000_000 };
    const ctx = { bus, historicalReadings$: bus.historical$, points, metrics, db, log: silentLogger, now: () => clock.now } as unknown as ServiceContext;
    const cfg = historySectionSchema.parse({ minInterval: 0, deadbandPercent: 0 });
    const service = new HistoryService(ctx, { ...cfg, flushInterval: 3_600_000 });
    const stored = () => (db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(n), 0) AS samples FROM history_chunk').get() as { n: number; samples: number });
    return {
      bus,
      metrics,
      clock,
      service,
      stored,
      done: () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('shows readings in a trend at once, writes a chunk per point a minute later, and everything on stop', async () => {
    const { bus, metrics, clock, service, stored, done } = setup();
    await service.start();
    for (let i = 0; i < 10; i++) {
      bus.publish(reading(clock.now, i));
      bus.publish(reading(clock.now, i % 2 === 0, 'Good', 'fan'));
      clock.now += 1000;
    }
    // Nothing written yet, but the trend has it from memory.
    service.flush();
    expect(stored().n).toBe(0);
    expect(service.trend('co', 0, clock.now, 100).map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(service.trend('fan', 0, clock.now, 100).map((s) => s.value)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    clock.now += CHUNK_SPAN_MS;
    service.flush();
    expect(stored()).toEqual({ n: 2, samples: 20 });
    expect(metrics.counter('history_rows_written')).toBe(20);
    // The next readings open new chunks; the trend joins stored and open samples.
    bus.publish(reading(clock.now, 42));
    expect(service.trend('co', 0, clock.now + 1, 100).map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42]);
    await service.stop();
    expect(stored()).toEqual({ n: 3, samples: 21 });
    // Stopped: it no longer listens.
    bus.publish(reading(clock.now + 5000, 43));
    expect(stored().samples).toBe(21);
    done();
  });

  it('writes a full chunk at the next flush without waiting for its minute', async () => {
    const { bus, clock, service, stored, done } = setup();
    await service.start();
    for (let i = 0; i < MAX_CHUNK_SAMPLES + 5; i++) bus.publish(reading(clock.now + i, i));
    service.flush();
    expect(stored()).toEqual({ n: 1, samples: MAX_CHUNK_SAMPLES });
    expect(service.trend('co', 0, clock.now + 10_000, 10_000)).toHaveLength(MAX_CHUNK_SAMPLES + 5);
    await service.stop();
    done();
  });
});
