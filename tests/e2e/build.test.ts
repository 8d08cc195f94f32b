import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, freePortRange, waitFor } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const MAIN = join(REPO_ROOT, 'dist', 'gateway', 'cli', 'main.js');

/**
 * The compiled build the Docker image runs (`npm run build`, then `node dist/gateway/cli/main.js`):
 * it must carry the files the code finds beside itself (demo plant, JSON Schema) and run without tsx.
 */
describe('compiled build', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-build-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('builds, validates the shipped configs and runs the demo plant without a TypeScript loader', async () => {
    await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeout: 180_000 });
    expect(existsSync(MAIN)).toBe(true);
    for (const config of ['demo-plant.yaml', 'compose-plant.yaml']) {
      const { stdout } = await run(process.execPath, [MAIN, 'validate', '--config', join(REPO_ROOT, 'dist', 'gateway', 'config', config)], { cwd: REPO_ROOT });
      expect(stdout).toMatch(/OK|通过|有效/);
    }

    const mqttPort = await freePort();
    const child = spawn(process.execPath, [MAIN, 'demo', '--mqtt-port', String(mqttPort), '--http-port', String(await freePort()), '--sim-port', String(await freePort()), '--opcua-port', String(await freePortRange(3)), '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 200, connectTimeout: 1000 });
    try {
      let status = '';
      let readings = 0;
      client.on('message', (topic, payload) => {
        if (topic === 'gw/demo-gw/status') status = payload.toString();
        else if (topic.startsWith('gw/demo-gw/readings/')) readings++;
      });
      client.on('connect', () => void client.subscribeAsync('gw/demo-gw/#').catch((e: unknown) => (out += `\nsubscribe failed: ${String(e)}`)));
      await waitFor(() => status === 'online' && readings > 0, 60_000, `the compiled demo online with readings\n${out}`);
    } finally {
      client.end(true);
      child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
  }, 240_000);
});
