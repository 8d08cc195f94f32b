import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/**
 * A mosquitto `password_file` (made with mosquitto_passwd), so a plant that already runs mosquitto can
 * bring its users: `name:$7$<iterations>$<salt b64>$<hash b64>` (PBKDF2-SHA512, mosquitto 2.0's
 * default) and `name:$6$<salt b64>$<hash b64>` (SHA-512 of password + salt, mosquitto 1.x). Users
 * from this file have no role: only the acl file decides what they may do, as in mosquitto.
 */
type Entry = { kind: 7; iterations: number; salt: Buffer; hash: Buffer } | { kind: 6; salt: Buffer; hash: Buffer };

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseEntry(hash: string, where: string): Entry {
  const parts = hash.split('$');
  if (parts[0] === '' && parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) throw new Error(`${where}: bad iteration count "${parts[2]}"`);
    if (!B64.test(parts[3]!) || !B64.test(parts[4]!)) throw new Error(`${where}: salt or hash is not base64`);
    const h = Buffer.from(parts[4]!, 'base64');
    if (h.length !== 64) throw new Error(`${where}: a $7$ hash is 64 bytes, got ${h.length}`);
    return { kind: 7, iterations, salt: Buffer.from(parts[3]!, 'base64'), hash: h };
  }
  if (parts[0] === '' && parts[1] === '6' && parts.length === 4) {
    if (!B64.test(parts[2]!) || !B64.test(parts[3]!)) throw new Error(`${where}: salt or hash is not base64`);
    const h = Buffer.from(parts[3]!, 'base64');
    if (h.length !== 64) throw new Error(`${where}: a $6$ hash is 64 bytes, got ${h.length}`);
    return { kind: 6, salt: Buffer.from(parts[2]!, 'base64'), hash: h };
  }
  throw new Error(`${where}: not a mosquitto_passwd hash ($7$ or $6$)`);
}

export function parsePasswordFile(text: string, file: string): Map<string, Entry> {
  const users = new Map<string, Entry>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`${file}:${i + 1}: expected user:hash`);
    users.set(line.slice(0, colon), parseEntry(line.slice(colon + 1), `${file}:${i + 1}`));
  });
  return users;
}

function derive(password: string, e: Entry): Promise<Buffer> {
  if (e.kind === 6) return Promise.resolve(createHash('sha512').update(password).update(e.salt).digest());
  return new Promise((resolve, reject) => pbkdf2(password, e.salt, e.iterations, 64, 'sha512', (err, key) => (err ? reject(err) : resolve(key))));
}

/** The file's users, re-read when the file changes (a bad edit keeps the last good users and is reported). */
export class PasswordFile {
  private users = new Map<string, Entry>();
  private mtimeMs = -1;

  constructor(
    readonly file: string,
    private readonly onReloadError: (message: string) => void = () => undefined,
  ) {
    this.reload(true);
  }

  private reload(first: boolean): void {
    const mtime = statSync(this.file).mtimeMs;
    if (mtime === this.mtimeMs) return;
    try {
      this.users = parsePasswordFile(readFileSync(this.file, 'utf8'), this.file);
      this.mtimeMs = mtime;
    } catch (err) {
      if (first) throw err;
      this.mtimeMs = mtime;
      this.onReloadError(`password file not reloaded, keeping the previous users: ${(err as Error).message}`);
    }
  }

  has(user: string): boolean {
    this.refresh();
    return this.users.has(user);
  }

  /** Constant-time check; false for an unknown user. */
  async verify(user: string, password: string): Promise<boolean> {
    this.refresh();
    const e = this.users.get(user);
    if (!e) return false;
    const key = await derive(password, e);
    return key.length === e.hash.length && timingSafeEqual(key, e.hash);
  }

  private refresh(): void {
    try {
      this.reload(false);
    } catch (err) {
      this.onReloadError(`password file ${this.file} unreadable, keeping the previous users: ${(err as Error).message}`);
    }
  }
}
