import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformSimulator, type Arrival } from '../../../simulators/platform/platform-simulator.js';
import { encodeFrame, FrameDecoder } from '../../../gateway/uplink/at-frames.js';
import { aesEncrypt, aesIvBytes, aesKeyBytes } from '../../../gateway/uplink/aes.js';
import { CREDIT_CODE, alarm, makeUplink, reading, until, type Harness } from './fixtures.js';
import { killDuringReplay } from './kill9-replay.js';

const TCP = { appId: 'hx-320100-0007', districtCode: '320106', key: '0123456789abcdef0123456789abcdef', iv: 'abcdef9876543210' };

let sim: PlatformSimulator;
let h: Harness | undefined;

async function startSim(extra: Record<string, unknown> = {}): Promise<void> {
  sim = new PlatformSimulator({ tcp: { ...TCP, ...extra } });
  await sim.start();
}

afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim?.stop();
});

function section(extra: Record<string, unknown> = {}, transport: Record<string, unknown> = {}) {
  return {
    transport: { profile: 'framed-tcp', host: '127.0.0.1', port: sim.tcp!.port, ...TCP, ackTimeout: '1s', connectTimeout: '1s', reconnect: { initialDelay: '50ms', maxDelay: '200ms' }, ...transport },
    points: [
      { point: 'gh1.co', code: 'CO-2019-01' },
      { point: 'bf1.top_pressure', code: 'BF01-TP' },
    ],
    snapshotPeriod: '100ms',
    heartbeatPeriod: '1s',
    retry: { initialDelay: '20ms', maxDelay: '100ms' },
    linkDownAlarmAfter: '200ms',
    replayRate: 0,
    ...extra,
  };
}

const ofType = (t: string): Arrival[] => sim.arrivals.filter((a) => a.envelope.type === t);

function expectInOrderOnce(): void {
  const seqs = sim.arrivals.map((a) => a.envelope.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  const ids = sim.arrivals.map((a) => a.envelope.dataId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const d of sim.duplicates) expect(ids).toContain(d.envelope.dataId);
}

/** One raw frame to the simulator, as another gateway would send it; resolves with the acknowledgement. */
async function rawFrame(port: number, outer: Record<string, unknown>, packets: (b: Buffer) => Buffer[] = (b) => [b]): Promise<{ dataId: string; code: number; msg: string }> {
  const s = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => s.once('connect', () => r()));
  const decoder = new FrameDecoder();
  const answer = new Promise<{ dataId: string; code: number; msg: string }>((resolve) => s.on('data', (c: Buffer) => decoder.push(c).forEach((f) => resolve(JSON.parse(f) as { dataId: string; code: number; msg: string }))));
  for (const p of packets(encodeFrame(JSON.stringify(outer)))) {
    s.write(p);
    await new Promise((r) => setTimeout(r, 20));
  }
  const a = await answer;
  s.destroy();
  return a;
}

describe('uplink over @@-framed TCP', () => {
  it('one persistent connection; base data first; every frame acknowledged by dataId; alarm start and end carry the same key and the platform codes', async () => {
    await startSim();
    h = makeUplink(section({ heartbeatPeriod: '1h' }));
    h.readings.next(reading('gh1.co', 12));
    h.alarms.next(alarm('gh1.co', true, 180));
    h.alarms.next(alarm('gh1.co', false, 8));
    await until(() => ofType('realtime').length >= 3 && ofType('alarm').length === 2, 5000, 'messages');
    expect(sim.arrivals[0]!.envelope.type).toBe('basedata');
    expect(sim.arrivals.every((a) => a.profile === 'framed-tcp' && a.envelope.enterpriseCode === CREDIT_CODE)).toBe(true);
    expect(sim.tcp!.connections).toBe(1);
    const [start, end] = ofType('alarm').map((a) => a.coded![0]!);
    expect(start).toMatchObject({ thresholdLevel: 2, alarmStateCode: 3, alarmActive: true });
    expect(end).toMatchObject({ thresholdLevel: 2, alarmStateCode: 0, alarmActive: false });
    expect(end!.alarmKey).toBe(start!.alarmKey);
    expect(sim.rejections).toEqual([]);
    expectInOrderOnce();
  });

  it('the simulator reads a frame split across packets and two frames in one packet, and refuses realtime for unregistered targets', async () => {
    await startSim();
    const key = aesKeyBytes(TCP.key);
    const iv = aesIvBytes(TCP.iv);
    const envelope = (dataId: string, type: string, extra: Record<string, unknown>) => ({
      appId: TCP.appId,
      serviceId: type === 'realtime' ? 'REALTIME_DATA' : 'HEARTBEAT',
      dataId,
      districtCode: TCP.districtCode,
      data: aesEncrypt(JSON.stringify({ dataId, seq: 1, type, enterpriseCode: CREDIT_CODE, gatewayCode: 'gw-x', timestamp: 1, historical: false, items: [], ...extra }), key, iv, 'cbc').toString('base64'),
    });
    const id1 = '0b7c9f70-6c1b-4a0e-8f44-7a3cf1b1c001';
    const split = await rawFrame(sim.tcp!.port, envelope(id1, 'heartbeat', {}), (b) => [b.subarray(0, 7), b.subarray(7, b.length - 1), b.subarray(b.length - 1)]);
    expect(split).toEqual({ dataId: id1, code: 0, msg: 'success' });
    // Two frames in one packet: both acknowledged.
    const s = connect({ host: '127.0.0.1', port: sim.tcp!.port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    const acks: { dataId: string; code: number; msg: string }[] = [];
    const decoder = new FrameDecoder();
    s.on('data', (c: Buffer) => acks.push(...decoder.push(c).map((f) => JSON.parse(f) as { dataId: string; code: number; msg: string })));
    const id2 = '0b7c9f70-6c1b-4a0e-8f44-7a3cf1b1c002';
    const id3 = '0b7c9f70-6c1b-4a0e-8f44-7a3cf1b1c003';
    const item = { pointCode: 'NEVER-REGISTERED', value: 1, unit: 'ppm', quality: 'Good', time: 1, alarmLevel: 0, alarmStateCode: 0 };
    s.write(Buffer.concat([encodeFrame(JSON.stringify(envelope(id2, 'heartbeat', { seq: 2 }))), encodeFrame(JSON.stringify(envelope(id3, 'realtime', { seq: 3, items: [item] })))]));
    await until(() => acks.length === 2, 5000, 'two acks');
    s.destroy();
    expect(acks[0]).toEqual({ dataId: id2, code: 0, msg: 'success' });
    expect(acks[1]).toMatchObject({ dataId: id3, code: 4002, msg: expect.stringContaining('测点未注册') });
    expect(sim.arrivals.map((a) => a.envelope.dataId)).toEqual([id1, id2]);
    // A wrong key does not decrypt; the frame is refused with its dataId.
    const wrong = { ...envelope('0b7c9f70-6c1b-4a0e-8f44-7a3cf1b1c004', 'heartbeat', {}), data: aesEncrypt('{"x":1}', aesKeyBytes('ffffffffffffffffffffffffffffffff'), iv, 'cbc').toString('base64') };
    expect((await rawFrame(sim.tcp!.port, wrong)).code).toBe(4001);
  });

  it('realtime before registration is held back, not lost', async () => {
    await startSim();
    await sim.setMode('http500'); // TCP: every frame answered with code 500 (try again)
    h = makeUplink(section({ heartbeatPeriod: '1h' }));
    for (let i = 0; i < 4; i++) {
      h.readings.next(reading('gh1.co', 50 + i));
      await new Promise((r) => setTimeout(r, 110));
    }
    await until(() => h!.metrics.total('uplink_send_failures_total') >= 3, 5000, 'failures');
    expect(sim.arrivals).toEqual([]);
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain');
    expect(sim.arrivals[0]!.envelope.type).toBe('basedata');
    expect(ofType('realtime').flatMap((a) => a.envelope.items.map((i) => i.value))).toEqual(expect.arrayContaining([50, 51, 52, 53]));
    expect(h.sink.queue.deadLetters()).toEqual([]);
    expect(sim.rejections).toEqual([]);
    expectInOrderOnce();
  });

  it('refused connections, slow acks, a connection dropped mid-frame and dropped by the platform: reconnects with backoff, nothing lost, repeats dropped on dataId', async () => {
    await startSim();
    h = makeUplink(section({ heartbeatPeriod: '1h' }));
    h.readings.next(reading('gh1.co', 1));
    await until(() => ofType('realtime').length >= 1, 5000, 'first snapshot');
    for (const mode of ['refuse', 'slow', 'drop'] as const) {
      await sim.setMode(mode, 1500);
      h.alarms.next(alarm('gh1.co', true, 200));
      h.alarms.next(alarm('gh1.co', false, 10));
      const failures = h.metrics.total('uplink_send_failures_total');
      await until(() => h!.metrics.total('uplink_send_failures_total') >= failures + 2, 8000, `failures in ${mode}`);
      await sim.setMode('ok');
      await until(() => h!.sink.queue.size <= 1, 10_000, `drain after ${mode}`);
    }
    const connections = sim.tcp!.connections;
    sim.tcp!.dropConnections();
    h.alarms.next(alarm('gh1.co', true, 300));
    await until(() => ofType('alarm').length === 7, 8000, 'all alarms');
    expect(sim.tcp!.connections).toBeGreaterThan(connections);
    expect(ofType('alarm').map((a) => a.envelope.items[0]!.value)).toEqual([200, 10, 200, 10, 200, 10, 300]);
    expect(sim.duplicates.length).toBeGreaterThanOrEqual(1); // the half-acknowledged frame, sent again
    expectInOrderOnce();
  });

  it('kill -9 during a replay loses and duplicates nothing', async () => {
    await startSim();
    await killDuringReplay(sim, section());
  }, 60_000);
});
