/**
 * npm run bench:uplink — figures for the uplink's durable queue:
 *  1. enqueue rate of alarm-sized messages into the SQLite queue (WAL, synchronous=FULL) with the
 *     queue's group commit (one transaction per 10 ms window; the producer yields to the event loop
 *     every 100 messages, as a burst of alarms would), and for comparison one message per commit
 *     (one fsync each);
 *  2. replay of a one-hour backlog of 10,000 points at 10 s snapshots (360 snapshots, split into
 *     messages of 500 items) to a local mosquitto over the MQTT profile, QoS 1, no rate limit.
 * The last line of output is one JSON object. Env: BENCH_POINTS, BENCH_SNAPSHOTS, BENCH_ENQUEUE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import mqtt from 'mqtt';
import { openDatabase } from '../../gateway/store/database.js';
import { UplinkQueue } from '../../gateway/uplink/queue.js';
import { UplinkSink } from '../../gateway/uplink/uplink-sink.js';
import { uplinkSectionSchema } from '../../gateway/uplink/config.js';
import type { EnvelopeItem } from '../../gateway/uplink/envelope.js';
import type { Reading } from '../../gateway/core/reading.js';
import type { AlarmEvent } from '../../gateway/core/alarm-event.js';
import { Metrics } from '../../gateway/core/metrics.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { MosquittoServer } from '../helpers/mosquitto.js';

const POINTS = Number(process.env.BENCH_POINTS ?? 10_000);
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 360);
const ENQUEUE = Number(process.env.BENCH_ENQUEUE ?? 100_000);
const PER_MESSAGE = 500;
const log = (s: string): void => void process.stdout.write(s + '\n');
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const dir = mkdtempSync(join(tmpdir(), 'uplink-bench-'));
let broker: MosquittoServer | undefined;
try {
  // ---- 1. enqueue rate ----
  const db1 = openDatabase(join(dir, 'enqueue.db'));
  const q = new UplinkQueue(db1);
  const alarmItem = (i: number): EnvelopeItem[] => [
    { pointCode: `CO-2002-${i % 100}`, value: 180 + (i % 7), unit: 'ppm', quality: 'Good', time: 1_700_000_000_000 + i, alarmLevel: 4, alarmType: 'HH', alarmActive: true, alarmMessage: '加压机房一氧化碳高高报', limit: 160 },
  ];
  let t0 = performance.now();
  for (let i = 0; i < ENQUEUE; i++) {
    q.enqueue('alarm', alarmItem(i), 1_700_000_000_000 + i, false);
    if (i % 100 === 99) await turn();
  }
  q.flush();
  const enqueueSec = (performance.now() - t0) / 1000;
  const enqueuePerSec = Math.round(ENQUEUE / enqueueSec);
  log(`enqueue: ${ENQUEUE} alarm messages in ${enqueueSec.toFixed(2)} s = ${enqueuePerSec}/s (group commit, 10 ms window); queue ${(q.sizeBytes / 1e6).toFixed(1)} MB`);
  const single = 2000;
  t0 = performance.now();
  for (let i = 0; i < single; i++) {
    q.enqueue('alarm', alarmItem(i), 1_700_000_000_000 + i, false);
    q.flush();
  }
  const singleCommitPerSec = Math.round(single / ((performance.now() - t0) / 1000));
  log(`enqueue: one message per commit (fsync each): ${singleCommitPerSec}/s`);
  db1.close();

  // ---- 2. replay of a one-hour backlog ----
  broker = await MosquittoServer.start();
  const db2 = openDatabase(join(dir, 'replay.db'));
  const backlog = new UplinkQueue(db2);
  const hourStart = Date.now() - SNAPSHOTS * 10_000;
  t0 = performance.now();
  for (let s = 0; s < SNAPSHOTS; s++) {
    const at = hourStart + s * 10_000;
    for (let p = 0; p < POINTS; p += PER_MESSAGE) {
      const items: EnvelopeItem[] = [];
      for (let k = p; k < Math.min(POINTS, p + PER_MESSAGE); k++) items.push({ pointCode: `P${String(k).padStart(5, '0')}`, value: Math.round(Math.random() * 10000) / 10, unit: 'ppm', quality: 'Good', time: at, alarmLevel: 0 });
      backlog.enqueue('realtime', items, at, true);
    }
    backlog.flush();
  }
  const messages = backlog.size;
  const bytes = backlog.sizeBytes;
  log(`backlog: ${SNAPSHOTS} snapshots × ${POINTS} points = ${messages} messages, ${(bytes / 1e6).toFixed(0)} MB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  let received = 0;
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-platform', clean: true });
  sub.on('message', () => received++);
  await sub.subscribeAsync('safety/#', { qos: 1 });

  const metrics = new Metrics();
  const sink = new UplinkSink({
    config: uplinkSectionSchema.parse({
      transport: { profile: 'mqtt', url: broker.url, clientId: 'bench-gateway' },
      points: [{ point: 'unused', code: 'unused' }],
      snapshotPeriod: '1h',
      heartbeatPeriod: '1h',
      replayRate: 0,
      queue: { maxBytes: '100GB' },
    }),
    gateway: { id: 'bench-gw', creditCode: '91350100M000100Y43' },
    logger: silentLogger,
    metrics,
    db: db2,
  });
  t0 = performance.now();
  sink.start(new Subject<Reading>(), new Subject<AlarmEvent>());
  // The sink adds one heartbeat of its own at start.
  while (metrics.total('uplink_replayed_total') < messages) await new Promise((r) => setTimeout(r, 20));
  const replaySec = (performance.now() - t0) / 1000;
  const waitUntil = Date.now() + 60_000;
  while (received < messages && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
  await sink.stop();
  await sub.endAsync();
  db2.close();
  const replayPerSec = Math.round(messages / replaySec);
  const replayItemsPerSec = Math.round((SNAPSHOTS * POINTS) / replaySec);
  log(`replay: ${messages} messages (${SNAPSHOTS * POINTS} point values) in ${replaySec.toFixed(1)} s = ${replayPerSec} messages/s, ${replayItemsPerSec} values/s; subscriber got ${received}; one hour of backlog takes ${replaySec.toFixed(0)} s to catch up`);

  log(
    JSON.stringify({
      enqueuePerSec,
      enqueueSingleCommitPerSec: singleCommitPerSec,
      replayPerSec,
      replayValuesPerSec: replayItemsPerSec,
      replaySeconds: Number(replaySec.toFixed(2)),
      subscriberReceived: received,
      backlogMessages: messages,
      backlogMB: Math.round(bytes / 1e6),
      points: POINTS,
      snapshots: SNAPSHOTS,
      itemsPerMessage: PER_MESSAGE,
    }),
  );
} finally {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
}
