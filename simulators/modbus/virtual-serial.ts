import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A virtual null-modem cable: two linked pseudo-terminals made by socat (Debian package socat).
 * What is written to `a` is read from `b` and back, so an RTU master and slave can talk as over RS-485.
 */
export class VirtualSerialPair {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'modbus-pty-'));
  readonly a = join(this.dir, 'a');
  readonly b = join(this.dir, 'b');

  async start(timeoutMs = 5000): Promise<void> {
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (child.exitCode !== null) throw new Error(`socat exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`socat did not create the pty pair within ${timeoutMs} ms: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
