import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * The import rules of .dependency-cruiser.cjs, run as `npm run deps` runs them, on small trees of
 * files laid out like the repository: a rule that never fires would let a cycle into main unseen.
 */
const exec = promisify(execFile);
const DEPCRUISE = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes the files into a fresh folder with a tsconfig like the project's and runs the check there. */
async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  dir = mkdtempSync(join(tmpdir(), 'deps-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const folders = [...new Set(Object.keys(files).map((p) => p.split('/')[0]!))];
  try {
    const r = await exec(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', ...folders], { cwd: dir });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('dependency rules (npm run deps)', () => {
  it('passes a tree that follows the layers', async () => {
    const r = await cruise({
      'gateway/core/reading.ts': 'export interface Reading { point: string }\n',
      'rules/threshold.ts': "import type { Reading } from '../gateway/core/reading.js';\nexport const f = (r: Reading) => r.point;\n",
      'gateway/runtime/gateway.ts': "import { f } from '../../rules/threshold.js';\nexport const g = f;\n",
    });
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails on an import cycle between two files, even a type-only one, naming both', async () => {
    const r = await cruise({
      'rules/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'rules/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular: rules\/(a|b)\.ts/);
    expect(r.out).toContain('rules/a.ts');
    expect(r.out).toContain('rules/b.ts');
  }, 60_000);

  it('fails when core imports a layer above it, or an adapter imports rules', async () => {
    const r = await cruise({
      'gateway/core/bus.ts': "import { limit } from '../../rules/limits.js';\nexport const x = limit;\n",
      'rules/limits.ts': 'export const limit = 1;\n',
      'adapters/modbus/poller.ts': "import { limit } from '../../rules/limits.js';\nexport const y = limit;\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('core-imports-only-core: gateway/core/bus.ts → rules/limits.ts');
    expect(r.out).toContain('adapters-know-no-rules: adapters/modbus/poller.ts → rules/limits.ts');
  }, 60_000);
});
