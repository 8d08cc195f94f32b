import { describe, expect, it } from 'vitest';
import type { PointDefinition } from '../../../../gateway/core/point.js';
import type { Reading } from '../../../../gateway/core/reading.js';
import { Downsampler } from '../../../../gateway/services/history/downsampler.js';
import { HistoryStore } from '../../../../gateway/services/history/history-store.js';
import { openDatabase } from '../../../../gateway/store/database.js';

const co: PointDefinition = { id: 'co', name: '一氧化碳', unit: 'ppm', area: 'gas', device: 'plc', range: { low: 0, high: 1000 } };
const reading = (ts: number, value: number | null, quality: Reading['quality'] = 'Good'): Reading => ({ point: 'co', ts, receivedAt: ts, value, quality });

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
    ].filter((r) => d.keep(r));
    expect(kept.map((r) => r.ts)).toEqual([0, 2000, 3000, 4000, 64_000]);
  });

  it('answers a trend raw or in bucket means with extremes, and prunes by age', () => {
    const db = openDatabase(':memory:');
    const store = new HistoryStore(db);
    store.write(Array.from({ length: 100 }, (_, i) => ({ point: 'co', ts: i * 1000, value: i, quality: i === 50 ? 'BadTimeout' : 'Good' }) as const));
    expect(store.trend('co', 0, 100_000, 1000)).toHaveLength(100);
    const buckets = store.trend('co', 0, 100_000, 10);
    expect(buckets).toHaveLength(10);
    expect(buckets[0]).toMatchObject({ ts: 0, value: 4.5, min: 0, max: 9, bad: false });
    expect(buckets[5]!.bad).toBe(true);
    expect(store.trend('other', 0, 100_000, 10)).toEqual([]);
    expect(store.pruneStep(50_000)).toBe(50);
    expect(store.trend('co', 0, 100_000, 1000)[0]!.ts).toBe(50_000);
    db.close();
  });
});

describe('local history writes off the alarm path', () => {
  it('drains a large backlog in transactions of at most HISTORY_WRITE_SLICE rows, freeing the event loop while it writes', async () => {
    const { Subject } = await import('rxjs');
    const { Metrics } = await import('../../../../gateway/core/metrics.js');
    const { silentLogger } = await import('../../../../gateway/core/logger.js');
    const { HistoryService, HISTORY_WRITE_SLICE } = await import('../../../../gateway/services/history/service.js');
    const { historySectionSchema } = await import('../../../../gateway/services/history/config.js');
    type Ctx = ConstructorParameters<typeof HistoryService>[0];
    const readings$ = new Subject<Reading>();
    const metrics = new Metrics();
    const db = openDatabase(':memory:');
    const ctx = { db, readings$, metrics, log: silentLogger, now: () => Date.now(), points: { get: (id: string) => ({ ...co, id }) } } as unknown as Ctx;
    const svc = new HistoryService(ctx, historySectionSchema.parse({ flushInterval: '50ms' }));
    const slices: number[] = [];
    const write = svc.writeSlice.bind(svc);
    svc.writeSlice = (max: number) => {
      const before = metrics.counter('history_rows_written');
      const ok = write(max);
      slices.push(metrics.counter('history_rows_written') - before);
      return ok;
    };
    await svc.start();
    const n = 40 * HISTORY_WRITE_SLICE + 10;
    for (let i = 0; i < n; i++) readings$.next({ point: `p${i}`, ts: 1000, receivedAt: 1000, value: i, quality: 'Good' });
    // Timers run between slices: a 0 ms interval fires while the backlog is being written.
    let between = 0;
    const ticker = setInterval(() => {
      if (metrics.counter('history_rows_written') > 0 && metrics.counter('history_rows_written') < n) between++;
    }, 0);
    const end = Date.now() + 10_000;
    while (metrics.counter('history_rows_written') < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    clearInterval(ticker);
    await svc.stop();
    expect(metrics.counter('history_rows_written')).toBe(n);
    expect(Math.max(...slices)).toBeLessThanOrEqual(HISTORY_WRITE_SLICE);
    expect(slices.filter((s) => s > 0).length).toBeGreaterThanOrEqual(4);
    expect(between).toBeGreaterThan(0);
    db.close();
  });
});
