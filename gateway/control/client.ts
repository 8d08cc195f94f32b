import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CONTROL_SOCKET, controlResponseSchema, type AlarmsResponse, type ControlIdentity, type ControlRequest, type ControlResponse } from './protocol.js';

export interface ControlClientOptions {
  /** The socket path (control.socket); default <dataDir>/control.sock. */
  socket?: string | undefined;
  timeoutMs?: number;
}

/** One connection to the control socket: answers come back one line per request, in order. */
class Conversation {
  private buf = '';
  private readonly waiting: { resolve: (r: ControlResponse) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly sock: ReturnType<typeof connect>,
    path: string,
    dataDir: string,
  ) {
    sock.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `no gateway running with data dir ${dataDir} (${path} not found)` : e.code === 'EACCES' ? `${path}: permission denied (the socket is the gateway OS user's; control.group lets a group in)` : e.message)),
    );
    sock.on('close', () => this.fail(new Error(`the gateway closed ${path}`)));
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiting.shift();
        if (!w) continue;
        try {
          w.resolve(controlResponseSchema.parse(JSON.parse(line)));
        } catch (e) {
          w.reject(new Error(`malformed answer from the gateway: ${(e as Error).message}`));
        }
      }
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  ask(request: ControlRequest): Promise<ControlResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.sock.write(JSON.stringify(request) + '\n');
    });
  }
}

/**
 * Proves this process's OS user to the gateway: asks for a challenge, creates the proof file the
 * gateway names (owned by us, so the kernel vouches for the uid), and asks the gateway to check it.
 */
async function identify(talk: Conversation): Promise<ControlIdentity> {
  const hello = await talk.ask({ op: 'hello' });
  if (!hello.ok) throw new Error(hello.error);
  if (!('challenge' in hello)) throw new Error('the gateway sent no challenge');
  const file = join(hello.proofDir, hello.challenge);
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, hello.challenge);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new Error(`cannot create the proof file ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const res = await talk.ask({ op: 'identify' });
    if (!res.ok) throw new Error(res.error);
    if (!('identity' in res)) throw new Error('the gateway did not confirm who we are');
    return res.identity;
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // The gateway removes it once checked.
    }
  }
}

/**
 * Sends `requests` to the gateway running on `dataDir`, as the OS user running this process (the
 * gateway checks it), and returns who the gateway took us for and its answers.
 */
export async function controlSession(dataDir: string, requests: ControlRequest[], options: ControlClientOptions = {}): Promise<{ identity: ControlIdentity; answers: ControlResponse[] }> {
  const path = options.socket ?? join(dataDir, CONTROL_SOCKET);
  const timeoutMs = options.timeoutMs ?? 5000;
  const sock = connect(path);
  const talk = new Conversation(sock, path, dataDir);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the gateway on ${path} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        const identity = await identify(talk);
        const answers: ControlResponse[] = [];
        for (const r of requests) answers.push(await talk.ask(r));
        return { identity, answers };
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

/**
 * Sends one alarm request to the gateway running on `dataDir` (identifying first) and returns its
 * answer; a refused identification or a lost gateway is an `ok: false` answer too.
 */
export async function sendControl(dataDir: string, request: ControlRequest, options: ControlClientOptions = {}): Promise<AlarmsResponse> {
  try {
    const answer = (await controlSession(dataDir, [request], options)).answers[0]!;
    if (!answer.ok || 'alarms' in answer) return answer;
    return { ok: false, error: 'the gateway answered an alarm request with something else' };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
