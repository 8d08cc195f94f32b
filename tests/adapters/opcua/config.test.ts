import { describe, expect, it } from 'vitest';
import { opcuaDeviceSchema, watchdogTimeoutMs } from '../../../adapters/opcua/config.js';
import { substituteNamespaceUri } from '../../../adapters/opcua/resolve.js';

const base = {
  id: 'bf1-plc',
  type: 'opcua',
  endpoint: 'opc.tcp://10.10.1.21:4840',
  points: [{ id: 'bf1.top_pressure', name: '1#高炉炉顶压力', unit: 'kPa', nodeId: 'ns=2;s=BF1.TopPressure' }],
};

function issues(input: unknown) {
  const r = opcuaDeviceSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('opcua device config', () => {
  it('fills safe defaults: no security, anonymous, servers not trusted automatically', () => {
    const d = opcuaDeviceSchema.parse(base);
    expect(d.security).toEqual({ mode: 'None', policy: 'None' });
    expect(d.auth).toEqual({ type: 'anonymous' });
    expect(d.trustAllServers).toBe(false);
    expect(d.mode).toBe('subscription');
    expect(d.publishingInterval).toBe(1000);
    expect(watchdogTimeoutMs(d)).toBe(30_000);
  });

  it('parses durations, deadbands, browse paths and array elements', () => {
    const d = opcuaDeviceSchema.parse({
      ...base,
      publishingInterval: '250ms',
      deadband: { type: 'percent', value: 0.5 },
      points: [
        { id: 'bf1.stave_3', name: '冷却壁3温度', unit: '°C', browsePath: '/2:BF1/2:StaveTemperatures', arrayIndex: 3, samplingInterval: '2s', deadband: { type: 'absolute', value: 0.5 } },
      ],
    });
    expect(d.publishingInterval).toBe(250);
    expect(d.points[0]).toMatchObject({ arrayIndex: 3, samplingInterval: 2000, deadband: { type: 'absolute', value: 0.5 } });
  });

  it('buffer size: 64 KB unless set, never below the 8192 bytes OPC UA requires', () => {
    expect(opcuaDeviceSchema.parse(base).bufferSize).toBe(65_536);
    expect(opcuaDeviceSchema.parse({ ...base, bufferSize: 8192 }).bufferSize).toBe(8192);
    expect(issues({ ...base, bufferSize: 4096 })).toEqual([expect.stringMatching(/^bufferSize: .*8192/)]);
  });

  it('a point needs exactly one of nodeId and browsePath', () => {
    expect(issues({ ...base, points: [{ id: 'p', name: '点' }] })).toContain('points.0.nodeId: give exactly one of nodeId or browsePath');
    expect(issues({ ...base, points: [{ id: 'p', name: '点', nodeId: 'ns=2;i=5', browsePath: '/2:A' }] })).toContain('points.0.nodeId: give exactly one of nodeId or browsePath');
  });

  it('names the field of a malformed NodeId, endpoint or security pairing', () => {
    expect(issues({ ...base, points: [{ id: 'p', name: '点', nodeId: 'BF1.TopPressure' }] })[0]).toMatch(/^points\.0\.nodeId: expected a NodeId/);
    expect(issues({ ...base, endpoint: 'http://plc:4840' })[0]).toMatch(/^endpoint: /);
    expect(issues({ ...base, security: { mode: 'SignAndEncrypt' } })[0]).toMatch(/^security\.policy: /);
    expect(issues({ ...base, security: { mode: 'SignAndEncrypt', policy: 'Basic128Rsa15' } })[0]).toMatch(/^security\.policy/);
  });

  it('rejects unknown keys and duplicate point ids', () => {
    expect(issues({ ...base, endpointUrl: 'x' })[0]).toMatch(/endpointUrl/);
    expect(issues({ ...base, points: [base.points[0], base.points[0]] })).toContain('points.1.id: point id "bf1.top_pressure" appears twice in device bf1-plc');
  });

  it('username auth takes a password or the name of an environment variable holding it', () => {
    expect(issues({ ...base, auth: { type: 'username', username: 'gw' } })).toContain('auth.password: give exactly one of password or passwordEnv');
    expect(opcuaDeviceSchema.parse({ ...base, auth: { type: 'username', username: 'gw', passwordEnv: 'BF1_OPCUA_PASSWORD' } }).auth).toMatchObject({ passwordEnv: 'BF1_OPCUA_PASSWORD' });
  });

  it('nsu= NodeIds resolve against the server namespace array', () => {
    const ns = ['http://opcfoundation.org/UA/', 'urn:plc:bf1', 'urn:other'];
    expect(substituteNamespaceUri('nsu=urn:plc:bf1;s=BF1.TopPressure', ns)).toBe('ns=1;s=BF1.TopPressure');
    expect(substituteNamespaceUri('ns=3;i=7', ns)).toBe('ns=3;i=7');
    expect(substituteNamespaceUri('nsu=urn:missing;i=7', ns)).toBeUndefined();
  });
});

describe('adapters/opcua/sample.yaml', () => {
  it('every device in the sample parses, and point ids are unique across devices', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(new URL('../../../adapters/opcua/sample.yaml', import.meta.url), 'utf8')) as { devices: unknown[] };
    const ids = new Set<string>();
    for (const [i, d] of doc.devices.entries()) {
      const r = opcuaDeviceSchema.safeParse(d);
      expect(r.success, `devices.${i}: ${r.success ? '' : r.error.message}`).toBe(true);
      for (const p of r.success ? r.data.points : []) {
        expect(ids.has(p.id), p.id).toBe(false);
        ids.add(p.id);
      }
    }
    expect([...ids]).toEqual(expect.arrayContaining(['bf1.top_pressure', 'cv1.lance_cw_flow_diff', 'gh1.piston_tilt']));
  });
});
