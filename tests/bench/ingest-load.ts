// Load generator of bench:ingest, in its own process so that neither it nor the collector takes CPU
// from the other or hides the gateway's latency. Publishes {"point","value","ts"} with QoS 0 over one
// MQTT connection; the PUBLISH frames of one event-loop turn go out in one socket write (QoS 0
// needs no client state, and a generator that spends 10 µs per message in mqtt.js would compete
// with the gateway it measures on a 2-core machine). Driven by the parent over IPC:
//   {cmd:'probe'}                     one ordinary reading (the parent waits for the gateway to count it)
//   {cmd:'step', rate, seconds}       a step; replies {type:'crossings', list} as it goes, then {type:'done', sent, seconds}
//   {cmd:'stop'}
// Every crossing reading (about 1 % crossing HH 160, 1 % clearing below 150) is reported with the
// time its frame was handed to the socket on CLOCK_MONOTONIC (process.hrtime), which every process
// on the machine shares: performance.timeOrigin differs between processes by milliseconds.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface Crossing {
  point: string;
  kind: 'UNACK' | 'RTN_UNACK';
  /** The message's `ts`, which the alarm event carries: crossing and event are matched by (point, ts). */
  ts: number;
  /** monotonicMs() when the frame went to the socket. */
  sentAt: number;
}
export type LoadCommand = { cmd: 'probe' } | { cmd: 'step'; rate: number; seconds: number } | { cmd: 'stop' };
export type LoadReport = { type: 'ready' } | { type: 'crossings'; list: Crossing[] } | { type: 'done'; sent: number; seconds: number };

/** Milliseconds on CLOCK_MONOTONIC, the same clock in every process of the machine. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const [url, topic, pointsArg] = process.argv.slice(2);
const POINTS = Number(pointsArg);

function send(m: LoadReport): void {
  process.send!(m);
}

/** One MQTT 3.1.1 PUBLISH, QoS 0. */
function publishFrame(topicBytes: Buffer, payload: string): Buffer {
  const body = Buffer.byteLength(payload);
  const remaining = 2 + topicBytes.length + body;
  const lenBytes: number[] = [];
  let x = remaining;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    lenBytes.push(b);
  } while (x > 0);
  const frame = Buffer.allocUnsafe(1 + lenBytes.length + remaining);
  let o = 0;
  frame[o++] = 0x30;
  for (const b of lenBytes) frame[o++] = b;
  frame.writeUInt16BE(topicBytes.length, o);
  o += 2;
  o += topicBytes.copy(frame, o);
  frame.write(payload, o);
  return frame;
}

async function open(): Promise<Socket> {
  const u = new URL(url!);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const parser = mqttPacket.parser();
  const connack = new Promise<void>((resolve, reject) => {
    parser.on('packet', (p) => (p.cmd === 'connack' && p.returnCode === 0 ? resolve() : reject(new Error(`broker refused the load generator: ${JSON.stringify(p)}`))));
  });
  socket.on('data', (d) => parser.parse(d));
  // keepalive 0: a QoS 0 publisher that only writes needs no pings.
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `bench-load-${process.pid}`, keepalive: 0 }));
  await connack;
  return socket;
}

async function main(): Promise<void> {
  const socket = await open();
  const topicBytes = Buffer.from(topic!);
  const high = new Array<boolean>(POINTS).fill(false);
  let n = 0;
  send({ type: 'ready' });

  async function step(target: number, seconds: number): Promise<void> {
    const t0 = performance.now();
    let sent = 0;
    const durationMs = seconds * 1000;
    let crossings: Crossing[] = [];
    let lastReport = t0;
    while (performance.now() - t0 < durationMs) {
      const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * target), sent + target / 50);
      const frames: Buffer[] = [];
      const sentAt = monotonicMs();
      const ts = Date.now();
      while (sent < due) {
        const i = n++ % POINTS;
        let value: number;
        // About 1 % of messages cross HH 160 and 1 % clear below 150 (half the flips each way).
        const flip = (n * 2654435761) % 100 < 2;
        if (flip) {
          high[i] = !high[i];
          value = high[i] ? 170 : 140;
          crossings.push({ point: `p${i}`, kind: high[i] ? 'UNACK' : 'RTN_UNACK', ts, sentAt });
        } else value = high[i] ? 165 + (n % 3) : 100 + (n % 7);
        frames.push(publishFrame(topicBytes, `{"point":"p${i}","value":${value},"ts":${ts}}`));
        sent++;
      }
      if (frames.length > 0) socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
      if (crossings.length > 0 && performance.now() - lastReport > 50) {
        send({ type: 'crossings', list: crossings });
        crossings = [];
        lastReport = performance.now();
      }
      // Let the socket drain and the parent's IPC through; sleep when ahead of the schedule.
      await new Promise((r) => setImmediate(r));
      if (sent >= due) await new Promise((r) => setTimeout(r, 2));
    }
    const elapsed = (performance.now() - t0) / 1000;
    if (crossings.length > 0) send({ type: 'crossings', list: crossings });
    send({ type: 'done', sent, seconds: elapsed });
  }

  process.on('message', (m: LoadCommand) => {
    if (m.cmd === 'probe') socket.write(publishFrame(topicBytes, JSON.stringify({ point: 'p0', value: 100, ts: Date.now() })));
    else if (m.cmd === 'step')
      step(m.rate, m.seconds).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
    else {
      socket.end();
      process.exit(0);
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
