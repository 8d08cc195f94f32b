import { describe, expect, it } from 'vitest';
import { sm4CbcDecrypt, sm4CbcEncrypt, sm4EcbDecryptBlocks, sm4EcbEncryptBlocks, sm4KeyBytes } from '../../../gateway/uplink/sm4.js';

const KEY = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');

describe('SM4 (GB/T 32907-2016)', () => {
  it('encrypts the standard test vector to 681edf34d206965e86b3e94f536e4246', () => {
    const c = sm4EcbEncryptBlocks(Buffer.from('0123456789abcdeffedcba9876543210', 'hex'), KEY);
    expect(c.toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
    expect(sm4EcbDecryptBlocks(c, KEY).toString('hex')).toBe('0123456789abcdeffedcba9876543210');
  });

  it('CBC with PKCS#7: first block equals ECB of plaintext XOR IV, and a full pad block follows a 16-byte message', () => {
    const iv = Buffer.alloc(16, 0);
    const plain = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const c = sm4CbcEncrypt(plain, KEY, iv);
    expect(c.length).toBe(32);
    expect(c.subarray(0, 16).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
    expect(sm4CbcDecrypt(c, KEY, iv).equals(plain)).toBe(true);
  });

  it('round-trips a Chinese JSON payload and rejects a wrong key', () => {
    const iv = sm4KeyBytes('fedcba98765432100123456789abcdef');
    const json = JSON.stringify({ pointCode: 'CO-2002-01', msg: '加压机房一氧化碳高高报' });
    const c = sm4CbcEncrypt(json, KEY, iv);
    expect(c.length % 16).toBe(0);
    expect(sm4CbcDecrypt(c, KEY, iv).toString('utf8')).toBe(json);
    const wrong = Buffer.from('00000000000000000000000000000000', 'hex');
    expect(() => {
      const out = sm4CbcDecrypt(c, wrong, iv).toString('utf8');
      if (out !== json) throw new Error('garbage');
    }).toThrow();
  });

  it('accepts keys as 32 hex digits or 16 ASCII characters and names the field otherwise', () => {
    expect(sm4KeyBytes('0123456789abcdeffedcba9876543210').equals(KEY)).toBe(true);
    expect(sm4KeyBytes('1234567890abcdef').toString('utf8')).toBe('1234567890abcdef');
    expect(() => sm4KeyBytes('short', 'iv')).toThrow(/SM4 iv/);
  });
});
