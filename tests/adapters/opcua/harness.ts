import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opcuaDeviceSchema } from '../../../adapters/opcua/config.js';
import { createAdapter, type OpcuaAdapter } from '../../../adapters/opcua/adapter.js';
import { ReadingBus } from '../../../gateway/core/bus.js';
import { silentLogger, type Logger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import type { Reading } from '../../../gateway/core/reading.js';
import type { z } from 'zod';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Collects log lines so tests can assert what the operator is told. */
export function memoryLogger(lines: string[]): Logger {
  const mk = (scope: string): Logger => ({
    debug: () => undefined,
    info: (m) => void lines.push(`INFO [${scope}] ${m}`),
    warn: (m) => void lines.push(`WARN [${scope}] ${m}`),
    error: (m) => void lines.push(`ERROR [${scope}] ${m}`),
    child: (s) => mk(`${scope}/${s}`),
  });
  return mk('test');
}

export interface Harness {
  adapter: OpcuaAdapter;
  bus: ReadingBus;
  readings: Reading[];
  metrics: Metrics;
  logs: string[];
  /** Units the adapter reported through describePoint (from the server's EUInformation). */
  describedUnits: Map<string, string>;
  /** Resolves with the first reading (from now on) that satisfies `pred`. */
  next(pred: (r: Reading) => boolean, timeoutMs?: number): Promise<Reading>;
  stop(): Promise<void>;
}

/** Starts an OPC UA adapter whose readings go onto a real ReadingBus. */
export async function startAdapter(device: z.input<typeof opcuaDeviceSchema>, log?: Logger): Promise<Harness> {
  const bus = new ReadingBus();
  const readings: Reading[] = [];
  const logs: string[] = [];
  const metrics = new Metrics();
  bus.readings$.subscribe((r) => readings.push(r));
  const parsed = opcuaDeviceSchema.parse(device);
  const describedUnits = new Map<string, string>();
  const adapter = createAdapter(parsed, {
    publish: (r) => bus.publish(r),
    log: log ?? memoryLogger(logs),
    metrics,
    now: () => Date.now(),
    describePoint: (id, info) => info.unit && describedUnits.set(id, info.unit),
  }) as OpcuaAdapter;
  const next = (pred: (r: Reading) => boolean, timeoutMs = 10_000) =>
    new Promise<Reading>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        const last = readings.slice(-5).map((r) => `${r.point}=${r.value} ${r.quality} ${r.reason ?? ''}`);
        reject(new Error(`no matching reading within ${timeoutMs} ms; last: ${last.join(' | ')}`));
      }, timeoutMs);
      const sub = bus.readings$.subscribe((r) => {
        if (pred(r)) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve(r);
        }
      });
    });
  await adapter.start();
  return { adapter, bus, readings, metrics, logs, describedUnits, next, stop: () => adapter.stop() };
}

export { silentLogger };
