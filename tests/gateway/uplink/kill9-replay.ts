import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { until } from './fixtures.js';

function spawnChild(dbFile: string, section: Record<string, unknown>): { child: ChildProcessWithoutNullStreams; lines: string[] } {
  const env = { ...process.env, UPLINK_CONFIG: JSON.stringify(section) };
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'uplink-child.ts'), dbFile], { env });
  const lines: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  return { child, lines };
}

/**
 * kill -9 of the gateway in the middle of a replay: a backlog of `count` alarms is queued during an
 * outage, the platform comes back, and the gateway is killed after some of the backlog went up and
 * before all did. After a restart the platform must hold every alarm exactly once, in order (a
 * message sent before the kill whose ack was lost may arrive again; the platform drops it on dataId).
 */
export async function killDuringReplay(
  sim: PlatformSimulator,
  section: Record<string, unknown>,
  /** How the outage is made: by default the simulator refuses connections; MQTT stops the broker. */
  outage: { down(): Promise<void>; up(): Promise<void> } = { down: () => sim.setMode('refuse'), up: () => sim.setMode('ok') },
  count = 40,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'uplink-kill9-'));
  const dbFile = join(dir, 'gateway.db');
  const alarmsArrived = (): number => sim.arrivals.filter((a) => a.envelope.type === 'alarm').length;
  try {
    await outage.down();
    const first = spawnChild(dbFile, { ...section, snapshotPeriod: '1h', heartbeatPeriod: '1h', replayRate: 10, retry: { initialDelay: '50ms', maxDelay: '200ms' } });
    await until(() => first.lines.some((l) => l.startsWith('ready')), 20_000, 'child ready');
    first.child.stdin.write(`alarms 0 ${count}\n`);
    await until(() => first.lines.includes(`committed ${count}`), 5000, 'committed');
    // Let a failed retry mark them backlog (historical), so the replay is paced.
    await new Promise((r) => setTimeout(r, 600));
    await outage.up();
    // Replay at 10/s: kill once a few went up, long before all of them.
    await until(() => alarmsArrived() >= 5, 20_000, 'replay under way');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const before = alarmsArrived();
    expect(before).toBeLessThan(count);

    const second = spawnChild(dbFile, { ...section, snapshotPeriod: '1h', heartbeatPeriod: '1h', replayRate: 0 });
    try {
      await until(() => second.lines.some((l) => l.startsWith('ready backlog=')), 20_000, 'child restarted');
      await until(() => alarmsArrived() >= count, 20_000, 'every alarm after the restart');
      await until(() => second.lines.some((l) => l.includes(' queue=0')), 10_000, 'queue drained');
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
    const alarms = sim.arrivals.filter((a) => a.envelope.type === 'alarm');
    expect(alarms.map((a) => a.envelope.items[0]!.value)).toEqual(Array.from({ length: count }, (_, i) => i));
    const seqs = sim.arrivals.map((a) => a.envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(sim.arrivals.map((a) => a.envelope.dataId)).size).toBe(sim.arrivals.length);
    const stored = new Set(sim.arrivals.map((a) => a.envelope.dataId));
    for (const d of sim.duplicates) expect(stored.has(d.envelope.dataId)).toBe(true);
    expect(sim.rejections).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
