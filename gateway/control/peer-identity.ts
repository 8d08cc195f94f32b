import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The OS account behind a control connection, as the kernel records it (never as the client says). */
export interface PeerIdentity {
  uid: number;
  /** Its login name, or `uid:<n>` when the passwd database has none. */
  osUser: string;
}

/** A refused proof: the connection is not identified. */
export class ProofRefused extends Error {}

/** How long a client has to answer a challenge. */
const CHALLENGE_TTL_MS = 30_000;

export const challengeSchemaPattern = /^[0-9a-f]{32}$/;

/**
 * Proof of OS identity for Unix-socket clients, in plain Node (which has no SO_PEERCRED). The server
 * sends a fresh random challenge; the client creates a file of that name in the proof directory
 * (sticky, writable, not listable) holding the challenge; the server reads the file's owner, which
 * the kernel sets from the creator's uid and which no unprivileged user can change (chown). It
 * refuses anything but a regular file with one link, not group- or other-writable, holding exactly
 * the challenge: so a hard link to, or a renamed copy of, another user's file does not pass — such a
 * file cannot hold a challenge made after it unless its owner wrote it. Only a client that knows the
 * challenge (this connection's) can make the file.
 */
export class ProofDir {
  constructor(
    readonly path: string,
    private readonly gid?: number,
    private readonly names: OsUserNames = new OsUserNames(),
  ) {}

  /** Creates the directory: 1733 (anyone may create, nobody lists), or 1730 for one group. */
  prepare(): void {
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    const st = lstatSync(this.path);
    if (!st.isDirectory()) throw new Error(`${this.path} is not a directory`);
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`${this.path} is not owned by the gateway's OS user`);
    if (this.gid !== undefined) chownSync(this.path, -1, this.gid);
    chmodSync(this.path, this.gid !== undefined ? 0o1730 : 0o1733);
  }

  challenge(): { challenge: string; issuedAt: number } {
    return { challenge: randomBytes(16).toString('hex'), issuedAt: Date.now() };
  }

  /** Checks the client's proof file for `challenge` and removes it; the owner's identity, or ProofRefused. */
  async verify(challenge: string, issuedAt: number): Promise<PeerIdentity> {
    if (!challengeSchemaPattern.test(challenge)) throw new ProofRefused('malformed challenge');
    if (Date.now() - issuedAt > CHALLENGE_TTL_MS) throw new ProofRefused(`the challenge is older than ${CHALLENGE_TTL_MS / 1000} s`);
    const file = join(this.path, challenge);
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw new ProofRefused(`no proof file (${(err as NodeJS.ErrnoException).code ?? 'error'}): create ${file} holding the challenge`);
    }
    let uid: number;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new ProofRefused('the proof is not a regular file');
      if (st.nlink !== 1) throw new ProofRefused('the proof file has other links');
      if ((st.mode & 0o022) !== 0) throw new ProofRefused('the proof file is writable by others');
      const buf = Buffer.alloc(64);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (buf.subarray(0, n).toString('utf8').trim() !== challenge) throw new ProofRefused('the proof file does not hold the challenge');
      uid = st.uid;
    } finally {
      closeSync(fd);
      try {
        unlinkSync(file);
      } catch {
        // The client may remove it first; nothing to clean then.
      }
    }
    return { uid, osUser: await this.names.of(uid) };
  }
}

/** How long a looked-up login name is reused: a renamed account shows its new name within this. */
const NAME_TTL_MS = 60_000;

/**
 * Login names by uid, looked up once a minute at most. Each lookup forks getent from the gateway
 * process (hundreds of MB mapped); a CLI that runs every few seconds should not fork each time.
 */
export class OsUserNames {
  private readonly cache = new Map<number, { name: Promise<string>; at: number }>();

  constructor(
    private readonly lookup: (uid: number) => Promise<string> = osUserName,
    private readonly ttlMs = NAME_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  of(uid: number): Promise<string> {
    const hit = this.cache.get(uid);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.name;
    // The promise is cached so connections arriving together share one lookup.
    const name = this.lookup(uid);
    this.cache.set(uid, { name, at: this.now() });
    return name;
  }
}

/** The login name of `uid` from the passwd database (NSS through getent, else /etc/passwd). */
export async function osUserName(uid: number): Promise<string> {
  try {
    const { stdout } = await run('getent', ['passwd', String(uid)], { timeout: 5000 });
    const name = stdout.split(':')[0]?.trim();
    if (name) return name;
  } catch {
    // getent absent or no entry: try the file.
  }
  return passwdLookup('/etc/passwd', (f) => f[2] === String(uid), 0) ?? `uid:${uid}`;
}

/** The gid of an OS group (NSS through getent, else /etc/group). */
export async function osGroupId(name: string): Promise<number> {
  try {
    const { stdout } = await run('getent', ['group', name], { timeout: 5000 });
    const gid = Number(stdout.split(':')[2]);
    if (Number.isInteger(gid)) return gid;
  } catch {
    // fall through
  }
  const gid = passwdLookup('/etc/group', (f) => f[0] === name, 2);
  if (gid === undefined) throw new Error(`control.group: no OS group "${name}"`);
  return Number(gid);
}

function passwdLookup(file: string, match: (fields: string[]) => boolean, field: number): string | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (match(f)) return f[field];
    }
  } catch {
    // unreadable: unknown
  }
  return undefined;
}
