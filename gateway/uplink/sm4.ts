import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto';

/**
 * SM4 (GB/T 32907-2016) through Node's OpenSSL 3 ciphers. The MEM platforms encrypt the JSON
 * payload with SM4-CBC and PKCS#7 padding, and send it as hex.
 */
export const SM4_BLOCK = 16;

export function sm4Available(): boolean {
  return getCiphers().includes('sm4-cbc');
}

/**
 * A 128-bit key or IV from config: 32 hex digits, or 16 ASCII characters (some platforms issue
 * the key as a 16-character string). Throws with the field's name when neither.
 */
export function sm4KeyBytes(text: string, what = 'key'): Buffer {
  if (/^[0-9a-fA-F]{32}$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'utf8');
  if (b.length === SM4_BLOCK) return b;
  throw new Error(`SM4 ${what} must be 32 hex digits or 16 ASCII characters, got ${text.length} characters`);
}

export function sm4CbcEncrypt(plain: Buffer | string, key: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv('sm4-cbc', key, iv);
  return Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()]);
}

/** Throws on a wrong key / IV or corrupt data (bad PKCS#7 padding). */
export function sm4CbcDecrypt(cipher: Buffer, key: Buffer, iv: Buffer): Buffer {
  const d = createDecipheriv('sm4-cbc', key, iv);
  return Buffer.concat([d.update(cipher), d.final()]);
}

/** One or more raw blocks, no padding: for the GB/T 32907 test vector. */
export function sm4EcbEncryptBlocks(plain: Buffer, key: Buffer): Buffer {
  if (plain.length % SM4_BLOCK !== 0) throw new Error('SM4-ECB without padding needs whole 16-byte blocks');
  const c = createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]);
}

export function sm4EcbDecryptBlocks(cipher: Buffer, key: Buffer): Buffer {
  const d = createDecipheriv('sm4-ecb', key, null);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(cipher), d.final()]);
}
