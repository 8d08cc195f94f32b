import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openSession } from '../../../adapters/opcua/connection.js';
import { browseAddressSpace, formatPointsYaml, formatTree } from '../../../adapters/opcua/browse.js';
import { DEFAULT_BUFFER_SIZE, opcuaPointSchema } from '../../../adapters/opcua/config.js';
import { startPlcSimulators, type PlcHandle, type PlcSimulators } from '../../../simulators/opcua/index.js';
import { startAdapter, tempDir, type Harness } from './harness.js';
import { SilentableProxy } from './tcp-proxy.js';

/**
 * Integration over real TCP against the blast-furnace PLC simulator, security None. One server for
 * the file; the restart test runs last.
 */
let sims: PlcSimulators;
let bf: PlcHandle;
let main: Harness;
const dir = tempDir('opcua-adapter-test-');

const fast = { publishingInterval: '100ms', samplingInterval: '50ms', reconnectMin: '200ms', reconnectMax: '1s' } as const;

/** A session as `browse` opens one: security None, anonymous. */
function anonymousSession(endpoint: string, bufferSize = DEFAULT_BUFFER_SIZE) {
  return openSession({
    endpoint,
    security: { mode: 'None', policy: 'None' },
    auth: { type: 'anonymous' },
    pkiDir: join(dir, 'gw'),
    trustAllServers: false,
    connectTimeout: 5000,
    requestTimeout: 5000,
    sessionTimeout: 30_000,
    bufferSize,
  });
}

beforeAll(async () => {
  sims = await startPlcSimulators({ plcs: ['bf1'], pkiDir: join(dir, 'sim'), tickMs: 100 });
  bf = sims.get('bf1');
  main = await startAdapter({
    id: 'bf1-plc',
    type: 'opcua',
    endpoint: bf.endpointUrl,
    pkiDir: join(dir, 'gw'),
    ...fast,
    points: [
      { id: 'bf1.top_pressure', name: '1#高炉炉顶压力', unit: 'kPa', nodeId: bf.nodeId('top_pressure') },
      { id: 'bf1.relief_interlock_armed', name: '1#高炉放散阀联锁投入', nodeId: bf.nodeId('relief_interlock_armed') },
      { id: 'bf1.no_such_tag', name: '错误的点', nodeId: 'ns=1;s=BF1.NoSuchTag' },
      { id: 'bf1.bad_path', name: '错误的路径', browsePath: '/1:BF1/1:NoSuchTag' },
      { id: 'bf1.hot_blast_pressure', name: '1#高炉热风压力', unit: 'kPa', browsePath: '/1:BF1/1:HotBlastPressure' },
      { id: 'bf1.stave_temp_4', name: '1#高炉4号冷却壁温度', unit: '°C', nodeId: bf.nodeId('stave_temps'), arrayIndex: 3 },
      { id: 'bf1.cooling_water_flow', name: '1#高炉炉体冷却水总流量', nodeId: bf.nodeId('cooling_water_flow') },
    ],
  });
}, 60_000);

afterAll(async () => {
  await main?.stop();
  await sims?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC UA adapter against the blast-furnace PLC simulator (security None)', () => {
  it('reports the server\'s engineering unit (EUInformation) for a point whose config gives none', async () => {
    await main.next((r) => r.point === 'bf1.cooling_water_flow' && r.quality === 'Good');
    expect(main.describedUnits.get('bf1.cooling_water_flow')).toBe('m³/h');
    // Points with a configured unit keep it: nothing is reported for them.
    expect(main.describedUnits.has('bf1.top_pressure')).toBe(false);
  });

  it('a changed value reaches the bus with its source timestamp and Good quality', async () => {
    const arrived = main.next((r) => r.point === 'bf1.top_pressure' && r.value === 287.5);
    const before = Date.now();
    bf.set('top_pressure', 287.5);
    const after = Date.now();
    const r = await arrived;
    expect(r.quality).toBe('Good');
    // ts is the PLC's source timestamp of the change, not the gateway's receive time.
    expect(r.ts).toBeGreaterThanOrEqual(before);
    expect(r.ts).toBeLessThanOrEqual(after);
    expect(r.receivedAt).toBeGreaterThanOrEqual(r.ts);
    bf.release('top_pressure');
  });

  it('booleans, browse paths and array elements read their values', async () => {
    // The interlock state does not change: its initial value is all there is.
    const armed = main.readings.find((r) => r.point === 'bf1.relief_interlock_armed');
    const [hb, stave] = await Promise.all([
      main.next((r) => r.point === 'bf1.hot_blast_pressure'),
      main.next((r) => r.point === 'bf1.stave_temp_4'),
    ]);
    expect(armed).toMatchObject({ value: true, quality: 'Good' });
    expect(hb.quality).toBe('Good');
    expect(hb.value as number).toBeGreaterThan(350);
    expect(hb.value as number).toBeLessThan(420);
    expect(stave.quality).toBe('Good');
    // Stave 4 of the simulated furnace runs near 65.5 °C.
    expect(stave.value as number).toBeGreaterThan(60);
    expect(stave.value as number).toBeLessThan(71);
  });

  it('takes engineering units and range from the server EUInformation', () => {
    expect(main.adapter.pointInfo('bf1.top_pressure')).toEqual({ unit: 'kPa', euRange: { low: 0, high: 400 } });
    expect(main.adapter.pointInfo('bf1.stave_temp_4')?.unit).toBe('°C');
    expect(main.adapter.pointInfo('bf1.relief_interlock_armed')).toBeUndefined();
  });

  it('a bad NodeId and a bad browse path affect only their own points; the session keeps delivering', async () => {
    const bad = main.readings.find((r) => r.point === 'bf1.no_such_tag');
    expect(bad).toMatchObject({ value: null, quality: 'BadNodeIdUnknown' });
    const badPath = main.readings.find((r) => r.point === 'bf1.bad_path');
    expect(badPath).toMatchObject({ value: null, quality: 'BadNodeIdUnknown' });
    expect(badPath?.reason).toContain('/1:BF1/1:NoSuchTag');
    expect(main.logs.some((l) => l.includes('bf1.no_such_tag') && l.includes('其他点不受影响'))).toBe(true);
    // Good points keep arriving, on the same session.
    const after = await main.next((r) => r.point === 'bf1.top_pressure' && r.quality === 'Good');
    expect(after.value).not.toBeNull();
    expect(main.metrics.counter('opcua_reconnects', { device: 'bf1-plc' })).toBe(0);
    expect(main.readings.filter((r) => r.point === 'bf1.top_pressure').every((r) => r.quality === 'Good')).toBe(true);
  });

  it('maps the server status codes to Reading quality, keeping the OPC UA names', async () => {
    let arrived = main.next((r) => r.point === 'bf1.top_pressure' && r.quality !== 'Good');
    bf.setStatus('top_pressure', 'BadSensorFailure');
    expect(await arrived).toMatchObject({ value: null, quality: 'BadSensorFailure', reason: 'BadSensorFailure (0x808C0000)' });

    arrived = main.next((r) => r.point === 'bf1.top_pressure' && r.quality.startsWith('Uncertain'));
    bf.setStatus('top_pressure', 'UncertainLastUsableValue');
    const u = await arrived;
    expect(u.quality).toBe('UncertainLastUsableValue');
    expect(typeof u.value).toBe('number');

    arrived = main.next((r) => r.point === 'bf1.top_pressure' && r.quality === 'Good');
    bf.setStatus('top_pressure', 'Good');
    await arrived;
  });

  it('polling mode reads the same points, with the bad NodeId isolated as well', async () => {
    const poll = await startAdapter({
      id: 'bf1-poll',
      type: 'opcua',
      endpoint: bf.endpointUrl,
      pkiDir: join(dir, 'gw'),
      mode: 'polling',
      pollInterval: '200ms',
      reconnectMin: '200ms',
      points: [
        { id: 'p.top_pressure', name: '炉顶压力', unit: 'kPa', nodeId: bf.nodeId('top_pressure') },
        { id: 'p.no_such_tag', name: '错误的点', nodeId: 'ns=1;s=BF1.NoSuchTag' },
        { id: 'p.stave_temp_1', name: '1号冷却壁温度', unit: '°C', nodeId: bf.nodeId('stave_temps'), arrayIndex: 0 },
      ],
    });
    try {
      const changed = poll.next((r) => r.point === 'p.top_pressure' && r.value === 301.2);
      bf.set('top_pressure', 301.2);
      expect((await changed).quality).toBe('Good');
      await poll.next((r) => r.point === 'p.stave_temp_1' && r.quality === 'Good');
      const bad = poll.readings.filter((r) => r.point === 'p.no_such_tag');
      // Reported once, not every poll.
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ quality: 'BadNodeIdUnknown', value: null });
    } finally {
      bf.release('top_pressure');
      await poll.stop();
    }
  });

  it('watchdog: a silent connection (no FIN, no data) is detected and rebuilt; data then resumes', async () => {
    const proxy = new SilentableProxy(bf.port);
    await proxy.start();
    const h = await startAdapter({
      id: 'bf1-silent',
      type: 'opcua',
      endpoint: proxy.url,
      pkiDir: join(dir, 'gw'),
      ...fast,
      keepAliveCount: 2,
      watchdogTimeout: '1500ms',
      connectTimeout: '1s',
      points: [{ id: 's.top_pressure', name: '炉顶压力', unit: 'kPa', nodeId: bf.nodeId('top_pressure') }],
    });
    try {
      await h.next((r) => r.point === 's.top_pressure' && r.quality === 'Good');
      proxy.blackhole = true;
      const lost = await h.next((r) => r.point === 's.top_pressure' && r.quality === 'BadNotConnected', 8000);
      expect(lost.reason).toContain('看门狗');
      expect(h.metrics.counter('opcua_watchdog_trips', { device: 'bf1-silent' })).toBeGreaterThanOrEqual(1);
      proxy.blackhole = false;
      const back = await h.next((r) => r.point === 's.top_pressure' && r.quality === 'Good', 15_000);
      expect(typeof back.value).toBe('number');
    } finally {
      await h.stop();
      await proxy.stop();
    }
  }, 40_000);

  it('offers 64 KB buffers in its Hello, so no chunk from the server is longer, and reads as before', async () => {
    const proxy = new SilentableProxy(bf.port);
    await proxy.start();
    const h = await startAdapter({
      id: 'bf1-buffers',
      type: 'opcua',
      endpoint: proxy.url,
      pkiDir: join(dir, 'gw'),
      ...fast,
      points: [{ id: 'b.top_pressure', name: '炉顶压力', unit: 'kPa', nodeId: bf.nodeId('top_pressure') }],
    });
    try {
      expect((await h.next((r) => r.point === 'b.top_pressure' && r.quality === 'Good')).value).toEqual(expect.any(Number));
      const hello = proxy.frames.fromClient.find((f) => f.type === 'HELF');
      const ack = proxy.frames.fromServer.find((f) => f.type === 'ACKF');
      // Body: protocol version, receive buffer, send buffer, max message size, max chunk count.
      expect([hello?.body.readUInt32LE(4), hello?.body.readUInt32LE(8)]).toEqual([65_536, 65_536]);
      expect(ack?.body.readUInt32LE(8)).toBeLessThanOrEqual(65_536);
      expect(Math.max(...proxy.frames.fromServer.map((f) => f.length))).toBeLessThanOrEqual(65_536);
    } finally {
      await h.stop();
      await proxy.stop();
    }
  });

  it('with bufferSize 8192 a browse answer longer than one chunk arrives in several and is read whole', async () => {
    const proxy = new SilentableProxy(bf.port);
    await proxy.start();
    const conn = await anonymousSession(proxy.url, 8192);
    try {
      const nodes = await browseAddressSpace(conn.session);
      expect(nodes.filter((n) => n.browsePath.startsWith('/1:BF1/')).map((n) => n.browseName)).toContain('TopPressure');
      expect(proxy.frames.fromClient.find((f) => f.type === 'HELF')?.body.readUInt32LE(4)).toBe(8192);
      expect(proxy.frames.fromServer.filter((f) => f.type === 'MSGC').length).toBeGreaterThan(0);
      expect(Math.max(...proxy.frames.fromServer.map((f) => f.length))).toBeLessThanOrEqual(8192);
    } finally {
      await conn.close();
      await proxy.stop();
    }
  });

  it('a tag missing from the PLC program is retried on its own and read once it appears', async () => {
    bf.removeTag('cooling_water_flow');
    const h = await startAdapter({
      id: 'bf1-download',
      type: 'opcua',
      endpoint: bf.endpointUrl,
      pkiDir: join(dir, 'gw'),
      ...fast,
      retryBadPointsInterval: '300ms',
      points: [
        { id: 'd.top_pressure', name: '炉顶压力', unit: 'kPa', nodeId: bf.nodeId('top_pressure') },
        { id: 'd.cooling_water_flow', name: '炉体冷却水总流量', unit: 'm³/h', nodeId: bf.nodeId('cooling_water_flow') },
      ],
    });
    try {
      const missing = h.readings.find((r) => r.point === 'd.cooling_water_flow') ?? (await h.next((r) => r.point === 'd.cooling_water_flow'));
      expect(missing.quality).toBe('BadNodeIdUnknown');
      expect(h.metrics.gauge('opcua_points_rejected', { device: 'bf1-download' })).toBe(1);
      const found = h.next((r) => r.point === 'd.cooling_water_flow' && r.quality === 'Good');
      bf.restoreTag('cooling_water_flow');
      expect((await found).value as number).toBeGreaterThan(4000);
      expect(h.metrics.counter('opcua_reconnects', { device: 'bf1-download' })).toBe(0);
      expect(h.readings.filter((r) => r.point === 'd.top_pressure').every((r) => r.quality === 'Good')).toBe(true);
      expect(h.metrics.gauge('opcua_points_rejected', { device: 'bf1-download' })).toBe(0);
    } finally {
      bf.restoreTag('cooling_water_flow');
      await h.stop();
    }
  });

  it('browse lists the address space with NodeIds, browse paths, units and ranges, and writes valid point config', async () => {
    const conn = await anonymousSession(bf.endpointUrl);
    try {
      const nodes = await browseAddressSpace(conn.session);
      const tp = nodes.find((n) => n.nodeId === 'ns=1;s=BF1.TopPressure');
      expect(tp).toMatchObject({ browsePath: '/1:BF1/1:TopPressure', nodeClass: 'Variable', dataType: 'Double', unit: 'kPa', euRange: { low: 0, high: 400 }, displayName: '炉顶压力' });
      expect(nodes.find((n) => n.nodeId === 'ns=1;s=BF1.StaveTemperatures')?.arrayLength).toBe(8);
      // Properties (EURange, EngineeringUnits) are folded into their variable, not listed as points.
      expect(nodes.some((n) => n.browseName === 'EURange')).toBe(false);
      expect(formatTree(nodes)).toContain('TopPressure = ');
      const yaml = parse(formatPointsYaml(nodes.filter((n) => n.browsePath.startsWith('/1:BF1')))) as { points: unknown[] };
      // 10 scalar tags + 8 stave elements.
      expect(yaml.points).toHaveLength(18);
      for (const p of yaml.points) expect(opcuaPointSchema.safeParse(p).success, JSON.stringify(p)).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('server stop and restart: points go BadNotConnected, then data resumes by itself', async () => {
    const lost = main.next((r) => r.point === 'bf1.top_pressure' && r.quality === 'BadNotConnected');
    const commLost = main.next((r) => r.point === 'bf1-plc.comm_ok' && r.value === false);
    await bf.stop();
    expect((await lost).value).toBeNull();
    // The communication-health point stays Good quality: it is what a comm-loss alarm watches.
    expect((await commLost).quality).toBe('Good');
    expect(main.metrics.gauge('opcua_connected', { device: 'bf1-plc' })).toBe(0);
    await bf.restart();
    const resumed = main.next((r) => r.point === 'bf1.top_pressure' && r.value === 255.5 && r.quality === 'Good', 15_000);
    // The new server instance publishes the forced value; the adapter must find it on its own.
    const waitReconnect = main.next((r) => r.point === 'bf1.top_pressure' && r.quality === 'Good', 15_000);
    const commBack = main.next((r) => r.point === 'bf1-plc.comm_ok' && r.value === true, 15_000);
    await waitReconnect;
    await commBack;
    bf.set('top_pressure', 255.5);
    await resumed;
    bf.release('top_pressure');
    expect(main.metrics.counter('opcua_reconnects', { device: 'bf1-plc' })).toBeGreaterThanOrEqual(1);
    // The bad NodeId is still isolated on the new session.
    expect(main.readings.filter((r) => r.point === 'bf1.no_such_tag').at(-1)?.quality).toBe('BadNodeIdUnknown');
  }, 40_000);
});
