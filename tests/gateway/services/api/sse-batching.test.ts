import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../../gateway/alarms/alarm-manager.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import { alarmSseSource, SSE_BATCH_MS, SseHub } from '../../../../gateway/services/api/sse.js';

/** The part of a ServerResponse the hub uses, recording each write (one write = one socket write). */
class RecordingResponse extends EventEmitter {
  readonly writes: string[] = [];
  writableLength = 0;
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  end(): void {
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
  /** Seqs of the alarm messages received, in order. */
  seqs(): number[] {
    return [...this.writes.join('').matchAll(/^id: (\d+)\nevent: alarm$/gm)].map((m) => Number(m[1]));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SSE fan-out: one write per client per batch, nothing lost or repeated', () => {
  const points = new PointRegistry([['co', { id: 'co', name: '一氧化碳', unit: 'ppm', area: 'gas', device: 'plc' }]]);
  const alarms = new AlarmManager({
    definitions: Array.from({ length: 20 }, (_, i) => ({ alarmId: `co:A${i}`, point: 'co', condition: `A${i}`, severity: 2 as const, label: '高报', limit: i, ruleId: 'co:limits' })),
    pointInfo: () => ({ name: '一氧化碳', unit: 'ppm', area: 'gas' }),
    journal: new MemoryJournal(),
  });
  const hub = new SseHub(alarmSseSource(alarms, points, undefined));
  hub.start();
  afterEach(() => hub.closeClients());

  it('sends a lone event at once, and a burst as one chunk per client in seq order', async () => {
    const a = new RecordingResponse();
    const b = new RecordingResponse();
    hub.open(a as unknown as ServerResponse, undefined, () => undefined);
    hub.open(b as unknown as ServerResponse, undefined, () => undefined);
    const before = a.writes.length;
    alarms.apply({ alarmId: 'co:A0', active: true, value: 5, ts: 1 });
    await sleep(5);
    // After a quiet spell the event is not held back for the window.
    expect(a.writes.length).toBe(before + 1);

    for (let i = 1; i < 11; i++) alarms.apply({ alarmId: `co:A${i}`, active: true, value: 50, ts: 2 });
    await sleep(SSE_BATCH_MS * 3);
    for (const c of [a, b]) {
      expect(c.writes.length).toBe(before + 2);
      expect(c.seqs()).toEqual(Array.from({ length: 11 }, (_, i) => c.seqs()[0]! + i));
    }
  });

  it('a client resuming (Last-Event-ID) inside a pending batch gets only the events after its id', async () => {
    const live = new RecordingResponse();
    hub.open(live as unknown as ServerResponse, undefined, () => undefined);
    await sleep(SSE_BATCH_MS * 2);
    const seqs: number[] = [];
    const sub = alarms.events$.subscribe((e) => seqs.push(e.seq));
    // Opens the window with one event, then a burst of five that waits for the next write.
    alarms.apply({ alarmId: 'co:A11', active: true, value: 50, ts: 3 });
    for (let i = 12; i < 17; i++) alarms.apply({ alarmId: `co:A${i}`, active: true, value: 50, ts: 3 });
    sub.unsubscribe();
    const resumed = new RecordingResponse();
    hub.open(resumed as unknown as ServerResponse, seqs[3], () => undefined);
    await sleep(SSE_BATCH_MS * 3);
    expect(live.seqs()).toEqual(seqs);
    expect(resumed.seqs()).toEqual(seqs.slice(4));
  });

  it('cuts off a client whose socket holds more than 4 MB unsent; the others go on', async () => {
    const slow = new RecordingResponse();
    const fast = new RecordingResponse();
    let closed = 0;
    hub.open(slow as unknown as ServerResponse, undefined, () => closed++);
    hub.open(fast as unknown as ServerResponse, undefined, () => undefined);
    await sleep(SSE_BATCH_MS * 2);
    const clients = hub.size;
    // The browser stopped reading: its socket's buffer is full.
    slow.writableLength = 5 * 1024 * 1024;
    alarms.apply({ alarmId: 'co:A17', active: true, value: 50, ts: 4 });
    await sleep(SSE_BATCH_MS * 2);
    expect(closed).toBe(1);
    expect(hub.size).toBe(clients - 1);
    const slowWrites = slow.writes.length;
    alarms.apply({ alarmId: 'co:A18', active: true, value: 50, ts: 5 });
    await sleep(SSE_BATCH_MS * 2);
    expect(slow.writes.length).toBe(slowWrites);
    expect(fast.seqs()).toHaveLength(2);
  });
});
