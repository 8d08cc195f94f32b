import { describe, expect, it } from 'vitest';
import { uplinkConfigProblems, uplinkConfigSchema, uplinkSectionSchema, uplinkTargets } from '../../../gateway/uplink/config.js';
import { usccProblem } from '../../../gateway/config/uscc.js';
import { parseConfigText } from '../../../gateway/config/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const base = {
  transport: { profile: 'mem-http-sm4', url: 'http://127.0.0.1:1/api/data', appid: 'a', appsecret: 's', key: '0123456789abcdeffedcba9876543210', iv: '1234567890abcdef' },
  points: [{ point: 'gh1.co', code: 'CO-2019-01' }],
};

describe('uplink config', () => {
  it('accepts the GB 32100 example credit code 91350100M000100Y43 and rejects a wrong check character', () => {
    expect(usccProblem('91350100M000100Y43')).toBeUndefined();
    expect(uplinkSectionSchema.parse({ ...base, enterpriseCode: '91350100M000100Y43' }).enterpriseCode).toBe('91350100M000100Y43');
    const r = uplinkSectionSchema.safeParse({ ...base, enterpriseCode: '91350100M000100Y44' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['enterpriseCode']);
    expect(r.error?.issues[0]?.message).toMatch(/check character should be "3"/);
  });

  it('parses durations and sizes, and fills defaults', () => {
    const c = uplinkSectionSchema.parse({ ...base, snapshotPeriod: '10s', heartbeatPeriod: '1m', queue: { maxBytes: '512MB', maxAge: '7d' } });
    expect(c.snapshotPeriod).toBe(10_000);
    expect(c.heartbeatPeriod).toBe(60_000);
    expect(c.queue).toEqual({ maxBytes: 512_000_000, maxAge: 7 * 86_400_000 });
    expect(c.replayRate).toBe(20);
  });

  it('names the bad field of a profile (unknown key, bad SM4 key)', () => {
    const r = uplinkSectionSchema.safeParse({ ...base, transport: { ...base.transport, key: 'xyz', secret: 1 } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('transport.key');
    expect(paths.some((p) => p.startsWith('transport'))).toBe(true);
  });

  it('reports unknown, duplicate points and duplicate codes with their paths', () => {
    const c = uplinkSectionSchema.parse({
      ...base,
      points: [
        { point: 'gh1.co', code: 'A' },
        { point: 'gh1.coo', code: 'B' },
        { point: 'gh1.co', code: 'A' },
      ],
    });
    const problems = uplinkConfigProblems(c, new Set(['gh1.co']));
    expect(problems).toEqual([
      { path: ['uplink', 'points', 1, 'point'], message: 'unknown point "gh1.coo"' },
      { path: ['uplink', 'points', 2, 'point'], message: 'point "gh1.co" is mapped twice (also uplink.points[0])' },
      { path: ['uplink', 'points', 2, 'code'], message: 'platform code "A" is used twice (also uplink.points[0])' },
    ]);
  });
});

describe('uplink.targets', () => {
  it('takes several named targets, reports a duplicate name and an unknown point of a target under its own path', () => {
    const c = uplinkConfigSchema.parse({
      targets: [
        { name: 'province', ...base },
        { name: 'province', ...base, points: [{ point: 'gh1.coo', code: 'A' }] },
      ],
    });
    expect(uplinkTargets(c).map((t) => t.name)).toEqual(['province', 'province']);
    expect(uplinkConfigProblems(c, new Set(['gh1.co']))).toEqual([
      { path: ['uplink', 'targets', 1, 'name'], message: 'uplink target "province" is named twice (also uplink.targets[0])' },
      { path: ['uplink', 'targets', 1, 'points', 0, 'point'], message: 'unknown point "gh1.coo"' },
    ]);
  });

  it('keeps the single form unnamed, skips disabled targets, and refuses a name that cannot be a point or file name', () => {
    expect(uplinkTargets(uplinkConfigSchema.parse(base)).map((t) => t.name)).toEqual([undefined]);
    const c = uplinkConfigSchema.parse({ targets: [{ name: 'province', ...base, enabled: false }, { name: 'county', ...base }] });
    expect(uplinkTargets(c).map((t) => t.name)).toEqual(['county']);
    expect(uplinkConfigSchema.safeParse({ targets: [{ name: 'Province/1', ...base }] }).success).toBe(false);
  });
});

describe('influx: and uplink: in the gateway config file', () => {
  const demo = readFileSync(join(import.meta.dirname, '../../../gateway/config/demo-plant.yaml'), 'utf8');
  const withSections = (extra: string): string => `${demo}\n${extra}`;

  it('accepts both sections on the demo plant and defaults what is left out', () => {
    const r = parseConfigText(
      withSections(`
influx:
  api: v1
  url: http://127.0.0.1:8086
  database: plant
uplink:
  transport:
    profile: mqtt
    url: mqtts://127.0.0.1:8883
  points:
    - { point: booster.co, code: CO-2002-01 }
  snapshotPeriod: 10s
`),
    );
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).toBe(true);
    if (!r.ok) return;
    expect(r.config.influx).toMatchObject({ api: 'v1', database: 'plant', measurement: 'reading', flushInterval: 1000 });
    expect(r.config.uplink).toMatchObject({ snapshotPeriod: 10_000, heartbeatPeriod: 60_000, replayRate: 20 });
  });

  it('names an unmapped point and suggests the near miss', () => {
    const r = parseConfigText(
      withSections(`
uplink:
  transport: { profile: mqtt, url: "mqtt://127.0.0.1:1883" }
  points:
    - { point: booster.coo, code: CO-2002-01 }
`),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([expect.objectContaining({ message: expect.stringContaining('unknown point "booster.coo" (did you mean "booster.co"?)') })]);
    expect(JSON.stringify(r.errors[0])).toContain('uplink');
  });
});
