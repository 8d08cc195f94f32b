import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../gateway/config/load.js';
import { globRegExp, hiddenDangerSectionSchema } from '../../../../gateway/services/hidden-danger/config.js';
import { sniffImage } from '../../../../gateway/services/hidden-danger/photos.js';
import { testConfig } from './harness.js';

describe('hiddenDanger config', () => {
  it('defaults: 7 d / 30 d / 1 d deadlines, a reminder a day before, supervisor then safety head', () => {
    const c = hiddenDangerSectionSchema.parse({});
    expect(c.deadlines).toEqual({ general: 7 * 86_400_000, major: 30 * 86_400_000, immediate: 86_400_000 });
    expect(c.reminders).toEqual([86_400_000]);
    expect(c.escalation).toEqual([
      { after: 0, to: 'supervisor' },
      { after: 86_400_000, to: 'safetyHead' },
    ]);
    expect(testConfig({ rules: [{ id: 'r', when: { kind: 'active', for: '5m' } }] }).hiddenDanger!.rules[0]).toMatchObject({ level: 'bySeverity', manageType: 'deadline', when: { kind: 'active', for: 300_000 } });
  });

  it('bad settings are refused naming the field', () => {
    const base = { gateway: { id: 'g', enterprise: { name: '测试', creditCode: '91350100M000100Y43' } }, devices: [{ id: 'd', type: 'modbus-tcp', host: '127.0.0.1', points: [{ id: 'p', name: 'p', area: 'a', unit: '', table: 'holding', address: 0 }] }] };
    const errors = (hiddenDanger: unknown) => {
      const r = validateConfig({ ...base, hiddenDanger });
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    };
    expect(errors({ rules: [{ id: 'x', when: { kind: 'active', for: 'five minutes' } }] }).join('\n')).toMatch(/hiddenDanger\.rules\[0\]\.when\.for/);
    expect(errors({ rules: [{ id: 'x', when: { kind: 'sometimes' } }] }).join('\n')).toMatch(/hiddenDanger\.rules\[0\]\.when/);
    expect(errors({ escalation: [{ after: '1d', to: 'mayor' }] }).join('\n')).toMatch(/hiddenDanger\.escalation\[0\]\.to/);
    expect(errors({ responsible: [{ area: 'gas' }] }).join('\n')).toMatch(/give a person or a role/);
    expect(errors({ deadline: '7d' }).join('\n')).toMatch(/deadline/);
    expect(errors({ checkInterval: '10ms' }).join('\n')).toMatch(/at least 1s/);
  });

  it('alarm id globs', () => {
    expect(globRegExp('booster.*:HH').test('booster.co:HH')).toBe(true);
    expect(globRegExp('booster.*:HH').test('boosterXco:HH.x')).toBe(false);
    expect(globRegExp('*:BYPASS').test('bf1-relief:BYPASS')).toBe(true);
  });

  it('photo types by their first bytes only', () => {
    expect(sniffImage(Buffer.from('ffd8ffe0', 'hex'))?.mime).toBe('image/jpeg');
    expect(sniffImage(Buffer.from('89504e470d0a1a0a00', 'hex'))?.mime).toBe('image/png');
    expect(sniffImage(Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'))?.mime).toBe('image/webp');
    expect(sniffImage(Buffer.from('RIFF\x00\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffImage(Buffer.from('GIF89a'))).toBeUndefined();
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImage(new Uint8Array(0))).toBeUndefined();
  });
});
