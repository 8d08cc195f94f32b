import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small real filesystem to fill up: a tmpfs of `size` (e.g. '4m') on a temp directory. The tests
 * run as root (as CI does). `fill()` writes zeros with dd until the disk is full, `free()` removes them.
 */
export class Tmpfs {
  readonly path: string;

  constructor(size: string, prefix = 'gw-tmpfs-') {
    this.path = mkdtempSync(join(tmpdir(), prefix));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', this.path]);
  }

  fill(): void {
    spawnSync('dd', ['if=/dev/zero', `of=${join(this.path, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
  }

  free(): void {
    rmSync(join(this.path, 'fill'), { force: true });
  }

  /** Removes everything on it (between tests). */
  empty(): void {
    for (const f of readdirSync(this.path)) rmSync(join(this.path, f), { recursive: true, force: true });
  }

  unmount(): void {
    execFileSync('umount', ['-l', this.path]);
    rmSync(this.path, { recursive: true, force: true });
  }
}
