import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../helpers/ports.js';
import { startCli } from '../../helpers/cli.js';
import { sendControl } from '../../../gateway/control/client.js';

describe('closed stdout and stderr (run … | head -3, a closed SSH terminal)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-epipe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the gateway running, and a SIGTERM still shuts it down cleanly', async () => {
    const dataDir = join(dir, 'data');
    const configFile = join(dir, 'plant.yaml');
    // A device nobody answers for: communication alarms and a summary line every 100 ms keep the
    // gateway writing to both streams after they close.
    writeFileSync(
      configFile,
      `gateway: { id: epipe-gw, enterprise: { name: 测试钢铁, creditCode: 91350100M000100Y43 }, summaryInterval: 100ms, logLevel: debug }
mqtt: { port: ${await freePort()} }
storage: { dataDir: ${dataDir} }
devices:
  - { id: plc, type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, pollInterval: 100ms, timeout: 100ms,
      points: [ { id: co, name: 一氧化碳, unit: ppm, table: holding, address: 0, limits: { H: 24 } } ] }
`,
    );
    const gw = startCli(['run', '--config', configFile]);
    try {
      await waitFor(() => gw.output().includes('概况'), 30_000, `the first summary line\n${gw.output()}`);
      // The reader goes away, as `head -3` does after three lines.
      gw.child.stdout!.destroy();
      gw.child.stderr!.destroy();
      await new Promise((r) => setTimeout(r, 3000));
      expect(gw.child.exitCode).toBeNull();
      const res = await sendControl(dataDir, { op: 'list', all: true });
      expect(res.ok).toBe(true);
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
    } finally {
      gw.child.kill('SIGKILL');
    }
  }, 60_000);
});
