import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { SM4, until } from './fixtures.js';
import { platformWarning } from './danger-fixtures.js';

const HTTP = { appid: 'gw-appid', appsecret: 'gw-secret', ...SM4 };

let sim: PlatformSimulator | undefined;
let dir: string | undefined;
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sim?.stop();
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function spawnChild(dbFile: string, section: Record<string, unknown>): { child: ChildProcessWithoutNullStreams; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'uplink-child.ts'), dbFile], { env: { ...process.env, UPLINK_CONFIG: JSON.stringify(section) } });
  children.push(child);
  const lines: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  return { child, lines };
}

async function kill9(child: ChildProcessWithoutNullStreams): Promise<void> {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('kill -9 of the gateway', () => {
  it('loses no queued record revision and no received warning; after the restart records arrive in order once, and the warning is neither new nor lost', async () => {
    sim = new PlatformSimulator({ http: HTTP });
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'uplink-hd-kill9-'));
    const dbFile = join(dir, 'gateway.db');
    const section = {
      transport: { profile: 'mem-http-sm4', url: sim.url, ...HTTP, timeout: '5s', warnings: { url: sim.warningsUrl, ackUrl: sim.warningAckUrl, pollInterval: '100ms' } },
      points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
      snapshotPeriod: '1h',
      heartbeatPeriod: '1h',
      retry: { initialDelay: '50ms', maxDelay: '200ms' },
      replayRate: 0,
    };
    await sim.issueWarning(platformWarning('W-1', { gatewayCode: 'gw-kill9' }));
    const first = spawnChild(dbFile, section);
    await until(() => first.lines.includes('warning W-1'), 20_000, 'W-1 received');
    await until(() => sim!.warnings.pending().length === 0, 8000, 'receipt acknowledged');
    await sim.setMode('refuse');
    first.child.stdin.write('dangers 1 10\n');
    await until(() => first.lines.includes('committed 10'), 8000, 'records committed');
    await kill9(first.child);
    expect(sim.arrivals.filter((a) => a.envelope.type === 'hidden_danger')).toEqual([]);

    await sim.setMode('ok');
    // The platform hands W-1 out again, as if our receipt had been lost.
    await sim.issueRawWarning(platformWarning('W-1', { gatewayCode: 'gw-kill9' }));
    const second = spawnChild(dbFile, section);
    await until(() => sim!.arrivals.filter((a) => a.envelope.type === 'hidden_danger').length >= 10, 20_000, 'every revision after the restart');
    await until(() => sim!.warnings.pending().length === 0, 8000, 'the repeat acknowledged');
    await until(() => second.lines.some((l) => l.includes(' queue=0')), 8000, 'queue drained');
    const revisions = sim.arrivals.filter((a) => a.envelope.type === 'hidden_danger').map((a) => [a.envelope.dangerRecord!.REVISION, a.envelope.historical]);
    expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, true]));
    // A repeat is possible only of something stored (an answer that came after the timeout on a loaded machine).
    const stored = new Set(sim.arrivals.map((a) => a.envelope.dataId));
    for (const d of sim.duplicates) expect(stored.has(d.envelope.dataId)).toBe(true);
    expect(sim.warnings.dangers.get('HD-K9')!.revision).toBe(10);
    // No feedback was queued for W-1 before the kill: handed over again once (stored), never as a new warning.
    expect(second.lines.filter((l) => l.startsWith('warning '))).toEqual(['warning W-1']);
    await kill9(second.child);
  }, 60_000);
});
