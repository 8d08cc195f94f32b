import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort };

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A server binary run as a child process, restartable on the same port and data directory: the
 * integration tests stop it mid-stream to simulate an outage and start it again.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;

  /** The running server's process id (benchmarks read its CPU and memory from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  private output = '';

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly ready: () => Promise<boolean>,
    readonly dir: string,
  ) {}

  async start(timeoutMs = 20_000): Promise<void> {
    if (this.child) return;
    const child = spawn(this.command, this.args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = undefined;
    });
    try {
      await waitFor(async () => {
        if (exited) throw new Error(`${this.name} exited during start-up:\n${this.output}`);
        return this.ready();
      }, timeoutMs, `${this.name} to become ready`);
    } catch (err) {
      if (exited) throw new Error(`${this.name} exited during start-up:\n${this.output}`, { cause: err });
      throw new Error(`${(err as Error).message}\n${this.output}`, { cause: err });
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get log(): string {
    return this.output;
  }

  /** Stop and delete the data directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A server a test started on a loopback port: it can be stopped, started again on the same port and
 * data directory (an outage), and disposed of.
 */
export abstract class LoopbackServer {
  protected constructor(
    readonly port: number,
    readonly process: ServerProcess,
  ) {}

  stop(): Promise<void> {
    return this.process.stop();
  }

  start(): Promise<void> {
    return this.process.start();
  }

  restart(): Promise<void> {
    return this.process.restart();
  }

  dispose(): Promise<void> {
    return this.process.dispose();
  }
}
