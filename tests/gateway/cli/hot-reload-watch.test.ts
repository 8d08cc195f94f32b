import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchConfig } from '../../../gateway/cli/run-gateway.js';
import { consoleLogger } from '../../../gateway/core/logger.js';
import type { GatewayConfig } from '../../../gateway/config/schema.js';
import { waitFor } from '../../helpers/ports.js';
import { aliasBomb, anchoredConfig } from '../../helpers/config-text.js';

/** Saves the way vim, VS Code and most editors do: write a temporary file, rename it over the config. */
function atomicSave(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

describe('hot reload watches the config across atomic saves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-watch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies every save made by rename, and rejects a bad one or an alias bomb with a logged reason', async () => {
    const file = join(dir, 'plant.yaml');
    writeFileSync(file, anchoredConfig(3));
    const applied: GatewayConfig[] = [];
    const log: string[] = [];
    const watcher = watchConfig(
      file,
      (c) => {
        applied.push(c);
        return { ok: true };
      },
      consoleLogger('info', 'test', (l) => log.push(l)),
    );
    try {
      // Three saves by rename in a row: each one must arrive (a watch on the file's inode stops after the first).
      for (const n of [101, 5, 7]) {
        atomicSave(file, anchoredConfig(n));
        await waitFor(() => applied.at(-1)?.devices[0]!.points.length === n, 10_000, `the ${n}-point save applied`);
      }
      atomicSave(file, 'gateway: [unclosed\n');
      await waitFor(() => log.some((l) => l.includes('config edit rejected')), 10_000, 'the broken save rejected');
      atomicSave(file, aliasBomb(9));
      await waitFor(() => log.some((l) => l.includes('aliases expand to more than')), 10_000, 'the alias bomb rejected');
      // And the watch still works after the rejected saves.
      atomicSave(file, anchoredConfig(9));
      await waitFor(() => applied.at(-1)?.devices[0]!.points.length === 9, 10_000, 'a good save after bad ones applied');
      expect(applied.length).toBeGreaterThanOrEqual(4);
    } finally {
      watcher.close();
    }
  }, 60_000);

  it('keeps running when applying a reload throws', async () => {
    const file = join(dir, 'throws.yaml');
    writeFileSync(file, anchoredConfig(1));
    const log: string[] = [];
    const watcher = watchConfig(
      file,
      () => {
        throw new Error('apply failed\n\x1b[31m报警 #99 forged');
      },
      consoleLogger('info', 'test', (l) => log.push(l)),
    );
    try {
      atomicSave(file, anchoredConfig(2));
      await waitFor(() => log.some((l) => l.includes('[config edit not applied]: apply failed')), 10_000, 'the failure logged');
      const line = log.find((l) => l.includes('apply failed'))!;
      expect(line).not.toContain('\n');
      expect(line).not.toContain('\x1b');
    } finally {
      watcher.close();
    }
  }, 30_000);
});
