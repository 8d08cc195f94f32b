import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, freePortRange, waitFor } from '../helpers/ports.js';
import { startCli } from '../helpers/cli.js';

/** Resolves with the exit code, or "still running" after `ms`. */
async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('demo: a failed start-up ends the process, one SIGTERM always ends it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-demo-fail-'));
  const blockers: Server[] = [];
  afterAll(async () => {
    for (const b of blockers) await new Promise((r) => b.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits non-zero with the reason when the MQTT port is taken, and frees its simulator ports', async () => {
    const mqttPort = await freePort();
    // A plain TCP listener on the MQTT port; connections it takes (the demo's MQTT sources retry
    // against it) are dropped at once so closing it never waits for them.
    const blocker = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => blocker.listen(mqttPort, '127.0.0.1', () => r()));
    blockers.push(blocker);
    const opcua = await freePortRange(3);
    const simPort = await freePort();
    const demo = startCli(['demo', '--mqtt-port', String(mqttPort), '--opcua-port', String(opcua), '--sim-port', String(simPort), '--http-port', String(await freePort()), '--data-dir', join(dir, 'a')]);
    try {
      expect(await exitWithin(demo.exited, 90_000)).toBe(1);
      expect(demo.output()).toContain(`MQTT port 127.0.0.1:${mqttPort} is in use`);
      for (const p of [simPort, opcua, opcua + 1, opcua + 2]) expect(await portFree(p)).toBe(true);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits non-zero when the gateway cannot even be built (data dir is a file)', async () => {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const demo = startCli(['demo', '--mqtt-port', String(await freePort()), '--opcua-port', String(await freePortRange(3)), '--sim-port', '0', '--http-port', String(await freePort()), '--data-dir', notADir]);
    try {
      expect(await exitWithin(demo.exited, 90_000)).toBe(1);
      expect(demo.output()).toMatch(/cannot start/);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }, 120_000);

  /** Starts the demo, sends one SIGTERM once `ready` holds for its output, and expects a clean exit 0. */
  async function endsOnOneSigterm(dataDir: string, ready: (output: string) => boolean, what: string): Promise<void> {
    const demo = startCli(['demo', '--mqtt-port', String(await freePort()), '--opcua-port', String(await freePortRange(3)), '--sim-port', '0', '--http-port', String(await freePort()), '--data-dir', join(dir, dataDir)]);
    try {
      await waitFor(() => ready(demo.output()), 90_000, `${what}\n${demo.output()}`);
      // Which signal ended it, if one did: an exit code of null means the process died of a signal.
      let endedBy: NodeJS.Signals | null = null;
      demo.child.once('exit', (_code, signal) => (endedBy = signal));
      demo.child.kill('SIGTERM');
      const code = await exitWithin(demo.exited, 60_000);
      expect(code, `ended by signal ${String(endedBy)}; output:\n${demo.output().slice(-3000)}`).toBe(0);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }

  it('ends on one SIGTERM sent while the gateway is starting', async () => {
    await endsOnOneSigterm('b', (out) => out.includes('演示装置: Modbus TCP'), 'the simulators up');
  }, 150_000);

  it('ends cleanly on one SIGTERM sent on its very first line, before the simulators are up', async () => {
    // A supervisor that stops the demo as soon as it shows signs of life: the signal must find a
    // handler (a race once made it die of the signal, exit code null, with its simulators mid-start).
    await endsOnOneSigterm('c', (out) => out.length > 0, 'the first line');
  }, 150_000);
});
