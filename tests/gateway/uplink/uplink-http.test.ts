import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../../simulators/platform/platform-simulator.js';
import { SM4, alarm, makeUplink, reading, until, type Harness } from './fixtures.js';
import { killDuringReplay } from './kill9-replay.js';

let sim: PlatformSimulator;
let h: Harness | undefined;

beforeEach(async () => {
  sim = new PlatformSimulator({ http: { appid: 'gw-appid', appsecret: 'gw-secret', ...SM4 } });
  await sim.start();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.stop();
});

function section(extra: Record<string, unknown> = {}, timeout = '3s') {
  return {
    transport: { profile: 'mem-http-sm4', url: sim.url, appid: 'gw-appid', appsecret: 'gw-secret', ...SM4, timeout },
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

function assertInOrderOnce(): void {
  const seqs = sim.arrivals.map((a) => a.envelope.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  // HTTP 500 and refused connections leave no doubt whether a message was taken: no repeats at all.
  expect(sim.duplicates).toEqual([]);
  for (const [id, n] of sim.dataIdCounts()) expect(n, `dataId ${id}`).toBe(1);
}

describe('uplink over the MEM HTTP + SM4 profile', () => {
  it('sends heartbeat, realtime snapshots and alarms in a valid, decryptable envelope', async () => {
    h = makeUplink(section());
    h.readings.next(reading('gh1.co', 12));
    h.readings.next(reading('bf1.top_pressure', 231.5));
    h.readings.next(reading('unmapped.point', 1));
    h.alarms.next({ ...alarm('gh1.co', true, 180), basis: 'GB 6222-2005《工业企业煤气安全规程》' });
    await until(() => sim.arrivals.filter((a) => a.envelope.type === 'realtime').length >= 2, 5000, 'two snapshots');
    const types = new Set(sim.arrivals.map((a) => a.envelope.type));
    expect(types).toEqual(new Set(['basedata', 'heartbeat', 'alarm', 'realtime']));
    const a = sim.arrivals.find((x) => x.envelope.type === 'alarm')!.envelope;
    expect(a.enterpriseCode).toBe('91350100M000100Y43');
    expect(a.gatewayCode).toBe('gw-test');
    expect(a.historical).toBe(false);
    expect(a.items).toEqual([
      expect.objectContaining({ pointCode: 'CO-2019-01', value: 180, unit: 'ppm', alarmLevel: 4, alarmType: 'HH', alarmActive: true, limit: 160, alarmBasis: 'GB 6222-2005《工业企业煤气安全规程》' }),
    ]);
    const snap = sim.arrivals.filter((x) => x.envelope.type === 'realtime').at(-1)!.envelope;
    expect(snap.items.map((i) => [i.pointCode, i.value, i.unit, i.alarmLevel])).toEqual([
      ['CO-2019-01', 12, 'ppm', 4],
      ['BF01-TP', 231.5, 'kPa', 0],
    ]);
    expect(sim.rejections).toEqual([]);
    assertInOrderOnce();
  });

  it('sends the unit a device reports after start (OPC UA EUInformation) for a point configured without one', async () => {
    h = makeUplink(section({ points: [{ point: 'bof1.o2_pressure', code: 'BOF1-O2P' }] }));
    h.readings.next(reading('bof1.o2_pressure', 1.2));
    await until(() => sim.arrivals.some((a) => a.envelope.type === 'realtime'), 5000, 'first snapshot');
    const first = sim.arrivals.find((a) => a.envelope.type === 'realtime')!.envelope;
    expect(first.items.map((i) => [i.pointCode, i.unit])).toEqual([['BOF1-O2P', '']]);
    h.units.set('bof1.o2_pressure', 'MPa');
    const count = sim.arrivals.length;
    await until(() => sim.arrivals.slice(count).some((a) => a.envelope.type === 'realtime'), 5000, 'a later snapshot');
    const later = sim.arrivals.slice(count).find((a) => a.envelope.type === 'realtime')!.envelope;
    expect(later.items.map((i) => [i.pointCode, i.unit])).toEqual([['BOF1-O2P', 'MPa']]);
  });

  it('HTTP 500 outage: raises LINK_DOWN, queues, then delivers everything in seq order, once each, replayed as historical', async () => {
    h = makeUplink(section());
    h.readings.next(reading('gh1.co', 10));
    await until(() => sim.arrivals.some((a) => a.envelope.type === 'realtime'), 5000, 'first snapshot');
    await sim.setMode('http500');
    const outageStart = Date.now();
    h.alarms.next(alarm('gh1.co', true, 200));
    for (let i = 0; i < 5; i++) {
      h.readings.next(reading('gh1.co', 20 + i));
      await new Promise((r) => setTimeout(r, 60));
    }
    h.alarms.next(alarm('gh1.co', false, 15));
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && d.active), 5000, 'LINK_DOWN');
    expect(h.sink.queue.size).toBeGreaterThan(3);
    expect(h.metrics.gauge('uplink_link_up')).toBe(0);
    const arrivedBefore = sim.arrivals.length;
    const recoverAt = Date.now();
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0 && h!.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && !d.active), 10_000, 'drain');
    const replayed = sim.arrivals.slice(arrivedBefore);
    const alarms = replayed.filter((a) => a.envelope.type === 'alarm');
    expect(alarms.map((a) => a.envelope.items[0]!.alarmActive)).toEqual([true, false]);
    const createdInOutage = replayed.filter((x) => x.envelope.timestamp >= outageStart && x.envelope.timestamp < recoverAt);
    expect(createdInOutage.length).toBeGreaterThanOrEqual(3); // two alarms and at least one snapshot
    for (const a of createdInOutage) expect(a.envelope.historical, `seq ${a.envelope.seq}`).toBe(true);
    expect(h.metrics.total('uplink_replayed_total')).toBeGreaterThanOrEqual(alarms.length);
    assertInOrderOnce();
  });

  it('refused connections and a slow platform: nothing lost, each message once in order after recovery', async () => {
    h = makeUplink(section({ snapshotPeriod: '150ms' }, '500ms'));
    h.readings.next(reading('gh1.co', 1));
    await until(() => sim.arrivals.length >= 2, 5000, 'first messages');
    await sim.setMode('refuse');
    h.alarms.next(alarm('gh1.co', true, 300));
    await until(() => h!.metrics.total('uplink_send_failures_total') >= 3, 5000, 'failures');
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain after refuse');
    // Slow answers (800 ms) beyond the 500 ms timeout: the gateway resends; the platform may see a repeat
    // of a timed-out message (at-least-once), never a gap and never out of order.
    await sim.setMode('slow', 800);
    h.alarms.next(alarm('gh1.co', false, 3));
    await until(() => h!.metrics.total('uplink_send_failures_total') >= 5, 8000, 'timeouts');
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain after slow');
    await h.sink.stop();
    const unique = sim.arrivals;
    expect(unique.length).toBe(h.metrics.total('uplink_sent_total'));
    expect(h.metrics.total('uplink_send_failures_total')).toBeGreaterThanOrEqual(5);
    const seqs = unique.map((a) => a.envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(unique.filter((a) => a.envelope.type === 'alarm').map((a) => a.envelope.items[0]!.alarmActive)).toEqual([true, false]);
  });

  it('a message the platform keeps refusing goes to the dead-letter table with the reason; the rest keep flowing in order', async () => {
    h = makeUplink(section({ heartbeatPeriod: '1h' }));
    // The platform's data check fails one record (value 999) and accepts everything else.
    sim.refuseWhen((e) => e.items.some((i) => i.value === 999));
    h.alarms.next(alarm('gh1.co', true, 999));
    h.alarms.next(alarm('gh1.co', false, 20));
    await until(() => h!.sink.queue.deadLetters().length === 1, 8000, 'the refused alarm in the dead-letter table');
    const [dead] = h.sink.queue.deadLetters();
    expect(dead!.type).toBe('alarm');
    expect(dead!.reason).toContain('5001');
    expect(JSON.parse(dead!.itemsJson)).toEqual([expect.objectContaining({ pointCode: 'CO-2019-01', value: 999, alarmActive: true })]);
    expect(sim.refused).toHaveLength(3); // deadLetterAfter (default 3) refusals, then the next message went
    await until(() => sim.arrivals.some((a) => a.envelope.type === 'alarm'), 5000, 'the alarm behind it');
    expect(sim.arrivals.filter((a) => a.envelope.type === 'alarm').map((a) => a.envelope.items[0]!.value)).toEqual([20]);
    expect(h.metrics.total('uplink_dead_lettered_total')).toBe(1);
    expect(h.diagnostics.filter((d) => d.alarmId === 'uplink:REJECTED').map((d) => d.active)).toEqual([true]);
    // The next regular delivery ends the refusal; LINK_DOWN never came (the link was fine).
    h.readings.next(reading('gh1.co', 9));
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:REJECTED' && !d.active), 5000, 'REJECTED clears');
    expect(h.diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN')).toBe(false);
    assertInOrderOnce();
  });

  it('a platform that refuses everything dead-letters nothing: the queue holds until it accepts again', async () => {
    h = makeUplink(section({ heartbeatPeriod: '1h' }));
    await sim.setMode('reject');
    h.alarms.next(alarm('gh1.co', true, 180));
    h.alarms.next(alarm('gh1.co', false, 20));
    h.alarms.next(alarm('gh1.co', true, 190));
    await until(() => h!.metrics.total('uplink_send_failures_total') >= 8, 8000, 'many refusals');
    expect(h.sink.queue.deadLetters()).toEqual([]);
    expect(h.sink.queue.size).toBeGreaterThanOrEqual(3); // the three alarms (and the start-up heartbeat)
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size === 0, 10_000, 'drain');
    expect(sim.arrivals.filter((a) => a.envelope.type === 'alarm').map((a) => a.envelope.items[0]!.value)).toEqual([180, 20, 190]);
    assertInOrderOnce();
  });

  it('thins snapshots when the queue is full, raises QUEUE_THINNING and keeps every alarm', async () => {
    h = makeUplink(section({ snapshotPeriod: '20ms', queue: { maxBytes: 4000, maxAge: '1d' } }));
    await sim.setMode('http500');
    h.readings.next(reading('gh1.co', 5));
    h.readings.next(reading('bf1.top_pressure', 200));
    for (let i = 0; i < 6; i++) {
      h.alarms.next(alarm('gh1.co', i % 2 === 0, 100 + i));
      await new Promise((r) => setTimeout(r, 80));
    }
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:QUEUE_THINNING' && d.active), 8000, 'QUEUE_THINNING');
    expect(h.metrics.total('uplink_snapshots_thinned_total')).toBeGreaterThan(0);
    await sim.setMode('ok');
    await until(() => h!.sink.queue.size < 3, 10_000, 'drain');
    await until(() => sim.arrivals.filter((a) => a.envelope.type === 'alarm').length >= 6, 5000, 'all alarms');
    expect(sim.arrivals.filter((a) => a.envelope.type === 'alarm').map((a) => a.envelope.items[0]!.value)).toEqual([100, 101, 102, 103, 104, 105]);
    await until(() => h!.diagnostics.some((d) => d.alarmId === 'uplink:QUEUE_THINNING' && !d.active), 8000, 'QUEUE_THINNING clears');
    assertInOrderOnce();
  });

  it('replays the backlog at replayRate, but a new alarm behind it is not held up (order kept)', async () => {
    h = makeUplink(section({ replayRate: 2, snapshotPeriod: '20ms', heartbeatPeriod: '1h' }));
    await sim.setMode('http500');
    h.readings.next(reading('gh1.co', 7));
    await until(() => h!.sink.queue.size >= 20, 5000, 'backlog of 20');
    await sim.setMode('ok');
    await new Promise((r) => setTimeout(r, 1000));
    // About 2 per second: far from the 20+ waiting.
    expect(sim.arrivals.length).toBeLessThanOrEqual(5);
    expect(sim.arrivals.every((a) => a.envelope.historical)).toBe(true);
    h.alarms.next(alarm('gh1.co', true, 190));
    await until(() => sim.arrivals.some((a) => a.envelope.type === 'alarm'), 5000, 'the live alarm, through the backlog');
    const a = sim.arrivals.find((x) => x.envelope.type === 'alarm')!.envelope;
    expect(a.historical).toBe(false);
    // Everything queued before it went first.
    expect(sim.arrivals.filter((x) => x.envelope.seq < a.seq).length).toBeGreaterThanOrEqual(20);
    assertInOrderOnce();
  });

  it('kill -9 during a replay loses and duplicates nothing', async () => {
    await killDuringReplay(sim, section());
  }, 60_000);
});
