import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * AES with PKCS#7 padding (Java's "AES/CBC/PKCS5Padding" / "AES/ECB/PKCS5Padding"), as the
 * steel and hazardous-chemicals platforms use it, on node:crypto.
 */
export type AesMode = 'cbc' | 'ecb';

/**
 * A key from config: 32, 48 or 64 hex digits, or 16, 24 or 32 ASCII characters (platforms often
 * issue the key as a 16-character string). Throws naming the field when neither.
 */
export function aesKeyBytes(text: string, what = 'key'): Buffer {
  if (/^([0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'utf8');
  if (b.length === 16 || b.length === 24 || b.length === 32) return b;
  throw new Error(`${what}: expected 32/48/64 hex digits or 16/24/32 ASCII characters (AES-128/192/256), got ${b.length} bytes`);
}

/** An IV from config: 32 hex digits or 16 ASCII characters. */
export function aesIvBytes(text: string, what = 'iv'): Buffer {
  if (/^[0-9a-fA-F]{32}$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'utf8');
  if (b.length === 16) return b;
  throw new Error(`${what}: expected 32 hex digits or 16 ASCII characters, got ${b.length} bytes`);
}

/** Zod refinement text for config fields. */
export const AES_KEY_HINT = 'expected 32/48/64 hex digits or 16/24/32 ASCII characters';
export function isAesKey(text: string): boolean {
  try {
    aesKeyBytes(text);
    return true;
  } catch {
    return false;
  }
}
export function isAesIv(text: string): boolean {
  try {
    aesIvBytes(text);
    return true;
  } catch {
    return false;
  }
}

function algorithm(key: Buffer, mode: AesMode): string {
  return `aes-${key.length * 8}-${mode}`;
}

export function aesEncrypt(plain: string | Buffer, key: Buffer, iv: Buffer | undefined, mode: AesMode): Buffer {
  const c = createCipheriv(algorithm(key, mode), key, mode === 'ecb' ? null : iv!);
  return Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()]);
}

/** Throws on a wrong key / IV (bad padding) or a length that is not whole blocks. */
export function aesDecrypt(cipher: Buffer, key: Buffer, iv: Buffer | undefined, mode: AesMode): Buffer {
  const d = createDecipheriv(algorithm(key, mode), key, mode === 'ecb' ? null : iv!);
  return Buffer.concat([d.update(cipher), d.final()]);
}
