import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto). Default parameters follow OWASP's Password Storage
 * Cheat Sheet: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms per hash). The hash string names
 * its parameters, `$scrypt$ln=17,r=8,p=1$<salt b64>$<hash b64>`, so stronger parameters later do not
 * invalidate stored hashes.
 */
export interface ScryptParams {
  /** log2 of the cost N. */
  ln: number;
  r: number;
  p: number;
}

export const OWASP_SCRYPT: ScryptParams = { ln: 17, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/**
 * Bounds on parameters read from a stored hash: a tampered row must not make one login take
 * gigabytes or minutes. ln 10 is the floor for tests that need fast hashes; never lower.
 */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;

function memoryBytes(p: ScryptParams): number {
  return 128 * 2 ** p.ln * p.r * p.p;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128·N·r or node refuses; leave headroom for its own bookkeeping.
    scrypt(password.normalize('NFC'), salt, keyLength, { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: memoryBytes(params) + 32 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function checkParams(p: ScryptParams): void {
  for (const k of ['ln', 'r', 'p'] as const) {
    const [lo, hi] = LIMITS[k];
    if (!Number.isInteger(p[k]) || p[k] < lo || p[k] > hi) throw new Error(`scrypt parameter ${k}=${p[k]} outside ${lo}..${hi}`);
  }
}

export async function hashPassword(password: string, params: ScryptParams = OWASP_SCRYPT): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const HASH_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,}={0,2})\$([A-Za-z0-9+/]{16,}={0,2})$/;

/** Parses a stored hash string; undefined when it is not one this module wrote. */
export function parseHash(text: string): ParsedHash | undefined {
  const m = HASH_RE.exec(text);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  try {
    checkParams(params);
  } catch {
    return undefined;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  if (salt.length < 16 || key.length < KEY_BYTES || key.length > 64) return undefined;
  return { params, salt, key };
}

/** Constant-time check of `password` against a stored hash; false (never throws) on a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** True when a stored hash uses weaker parameters than `params` (rehash at the next successful login). */
export function needsRehash(stored: string, params: ScryptParams = OWASP_SCRYPT): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

/** A random password for generated accounts (demo users, internal credentials): 18 bytes, base64url. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
