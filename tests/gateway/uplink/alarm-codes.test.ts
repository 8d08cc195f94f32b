import { describe, expect, it } from 'vitest';
import { alarmCodesSchema, encodeEnvelopeJson, encodeItem, type ItemEncoding } from '../../../gateway/uplink/alarm-codes.js';
import type { EnvelopeItem } from '../../../gateway/uplink/envelope.js';
import { steelRestProfileSchema } from '../../../gateway/uplink/profiles/steel-rest.js';
import { framedTcpProfileSchema } from '../../../gateway/uplink/profiles/framed-tcp.js';

const steel = steelRestProfileSchema.parse({ profile: 'steel-rest', url: 'http://127.0.0.1:1', appKey: 'k', appSecret: 's' });
const tcp = framedTcpProfileSchema.parse({ profile: 'framed-tcp', host: '127.0.0.1', port: 1, appId: 'a', districtCode: '320100', key: '0123456789abcdef', iv: 'fedcba9876543210' });
const blueSteel = steelRestProfileSchema.parse({ profile: 'steel-rest', url: 'http://127.0.0.1:1', appKey: 'k', appSecret: 's', alarmCodes: { lowSeverity: 'blue', blueCode: 4 } });

/** How each profile encodes (the transports use exactly these: steel carries disposal, framed TCP does not). */
const PROFILES: Record<string, ItemEncoding> = {
  'steel-rest': { codes: steel.alarmCodes, disposal: true },
  'framed-tcp': { codes: tcp.alarmCodes, disposal: false },
  'steel-rest (blue 4)': { codes: blueSteel.alarmCodes, disposal: true },
};

function item(alarmType: string | undefined, alarmLevel: EnvelopeItem['alarmLevel'], extra: Partial<EnvelopeItem> = {}): EnvelopeItem {
  return { pointCode: 'CO-2019-01', value: 1, unit: 'ppm', quality: 'Good', time: 0, alarmLevel, ...(alarmType ? { alarmType, alarmActive: alarmLevel > 0 } : {}), ...extra };
}

// condition, gateway level (0 cleared / severity), → [thresholdLevel, alarmStateCode] per profile
const GOLDEN: [string | undefined, EnvelopeItem['alarmLevel'], Record<string, [number | undefined, number]>][] = [
  ['HH', 4, { 'steel-rest': [2, 3], 'framed-tcp': [2, 3], 'steel-rest (blue 4)': [2, 3] }],
  ['HH', 3, { 'steel-rest': [2, 2], 'framed-tcp': [2, 2], 'steel-rest (blue 4)': [2, 2] }],
  ['H', 2, { 'steel-rest': [1, 1], 'framed-tcp': [1, 1], 'steel-rest (blue 4)': [1, 1] }],
  ['H', 1, { 'steel-rest': [1, 1], 'framed-tcp': [1, 1], 'steel-rest (blue 4)': [1, 4] }],
  ['L', 2, { 'steel-rest': [-1, 1], 'framed-tcp': [-1, 1], 'steel-rest (blue 4)': [-1, 1] }],
  ['LL', 3, { 'steel-rest': [-2, 2], 'framed-tcp': [-2, 2], 'steel-rest (blue 4)': [-2, 2] }],
  ['LL', 0, { 'steel-rest': [-2, 0], 'framed-tcp': [-2, 0], 'steel-rest (blue 4)': [-2, 0] }], // 消警: the level stays, the state is normal
  ['HH', 0, { 'steel-rest': [2, 0], 'framed-tcp': [2, 0], 'steel-rest (blue 4)': [2, 0] }],
  ['ROC', 2, { 'steel-rest': [undefined, 1], 'framed-tcp': [undefined, 1], 'steel-rest (blue 4)': [undefined, 1] }], // not a threshold
  ['STEL', 4, { 'steel-rest': [undefined, 3], 'framed-tcp': [undefined, 3], 'steel-rest (blue 4)': [undefined, 3] }],
  [undefined, 0, { 'steel-rest': [undefined, 0], 'framed-tcp': [undefined, 0], 'steel-rest (blue 4)': [undefined, 0] }], // realtime, no alarm
  [undefined, 4, { 'steel-rest': [undefined, 3], 'framed-tcp': [undefined, 3], 'steel-rest (blue 4)': [undefined, 3] }], // realtime, point in red alarm
];

describe('alarm codes per profile (golden table)', () => {
  for (const [condition, level, expected] of GOLDEN) {
    for (const [profile, [threshold, state]] of Object.entries(expected)) {
      it(`${profile}: ${condition ?? 'realtime'} at level ${level} → thresholdLevel ${threshold ?? '—'}, alarmState ${state}`, () => {
        const coded = encodeItem(item(condition, level), PROFILES[profile]!);
        expect(coded.thresholdLevel).toBe(threshold);
        expect(coded.alarmStateCode).toBe(state);
      });
    }
  }

  it('acknowledgement and disposal go up on the steel platform, not over framed TCP', () => {
    const ack = item('HH', 4, { alarmKey: 'k1', alarmState: 'ACKED', operator: '张三', comment: '已关闭阀门，现场通风' });
    expect(encodeItem(ack, PROFILES['steel-rest']!)).toMatchObject({ alarmKey: 'k1', operator: '张三', comment: '已关闭阀门，现场通风' });
    const overTcp = encodeItem(ack, PROFILES['framed-tcp']!);
    expect(overTcp.alarmKey).toBe('k1');
    expect(overTcp).not.toHaveProperty('operator');
    expect(overTcp).not.toHaveProperty('comment');
  });

  it('blue needs the platform\'s code for it', () => {
    expect(alarmCodesSchema.safeParse({ lowSeverity: 'blue' }).success).toBe(false);
  });

  it('encodes every item of an envelope and leaves a heartbeat as it is', () => {
    const hb = '{"type":"heartbeat","items":[]}';
    expect(encodeEnvelopeJson(hb, PROFILES['steel-rest']!)).toBe(hb);
    const out = JSON.parse(encodeEnvelopeJson(JSON.stringify({ type: 'alarm', items: [item('HH', 4), item('L', 0)] }), PROFILES['framed-tcp']!)) as { items: { thresholdLevel: number; alarmStateCode: number }[] };
    expect(out.items.map((i) => [i.thresholdLevel, i.alarmStateCode])).toEqual([[2, 3], [-1, 0]]);
  });
});
