// Diagnostic probe of bench:ingest, loaded into the gateway process only when asked
// (BENCH_PROBE=<file>: the bench adds `--import <this file>`). It changes nothing the gateway does;
// it records, on CLOCK_MONOTONIC (the clock of the load generator's sentAt), when each crossing
// reading reached the gateway and when its alarm event was handed to mqtt.js, so that the bench can
// split the latency by hop:
//   load generator write → socket read in the gateway (mosquitto, kernel, the gateway's loop busy)
//   socket read → 'message' emitted by mqtt.js (the packets of one read go one per tick)
//   'message' → alarm event published (decode, bus, rules, alarm manager, journal commit)
//   published → written to the socket (the publisher's cork until the end of the turn)
//   written → arrival at the collector (mosquitto, the collector)
// plus the event loop's delay (perf_hooks monitorEventLoopDelay, 1 ms resolution), every GC pause
// and the sizes of the socket reads. Appends one JSON line per 250 ms to the file.
// Loaded before the gateway's main module: take the same first step it does (quiet-packet-debug.ts),
// or mqtt's loggers would be created here, before the gateway could quieten them.
import '../../gateway/mqtt/quiet-packet-debug.js';
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import { MqttClient } from 'mqtt';

const file = process.env.BENCH_PROBE;

function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A crossing's payload carries 170 (up) or 140 (down); ordinary readings never do. */
const crossing = /"point":"([^"]+)","value":(?:170|140),"ts":(\d+)/;

if (file) {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  let received: [string, number, number, number][] = [];
  let published: [string, number, number][] = [];
  let written: number[] = [];
  /** [kind (perf_hooks constants.NODE_PERFORMANCE_GC_*: 1 minor, 4 major, 8 incremental, 16 weak callbacks), start, duration]. */
  let gc: [number, number, number][] = [];
  let reads: number[] = [];
  let lastRead = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? 0;
      // startTime is on performance.timeOrigin; convert to the monotonic clock.
      gc.push([kind, Math.round((e.startTime - performance.now() + monotonicMs()) * 100) / 100, Math.round(e.duration * 100) / 100]);
    }
  }).observe({ entryTypes: ['gc'] });

  const proto = MqttClient.prototype as unknown as { emit: (...a: unknown[]) => boolean; publish: (...a: unknown[]) => unknown };
  const emit = proto.emit;
  proto.emit = function (this: MqttClient, event: unknown, ...args: unknown[]) {
    if (event === 'message') {
      const [topic, payload] = args as [string, Buffer];
      if (topic.includes('/ingest/')) {
        const m = crossing.exec(payload.toString());
        if (m) received.push([m[1]!, Number(m[2]), lastRead, monotonicMs()]);
      }
    } else if (event === 'connect' && this.stream) {
      const stream = this.stream as unknown as NodeJS.EventEmitter & { probed?: boolean; _write: (...a: unknown[]) => unknown; _writev?: (...a: unknown[]) => unknown };
      if (!stream.probed) {
        stream.probed = true;
        // The ingest adapter's client id ends in mqtt-<device>; the publisher's is gateway-<id>-<pid>.
        if (/mqtt-[^-]+$/.test(this.options.clientId ?? '')) {
          stream.prependListener('data', (d: Buffer) => {
            lastRead = monotonicMs();
            reads.push(d.length);
          });
        } else {
          // The socket's own writes (after the publisher's uncork): when an event's bytes left.
          const w = stream._write;
          stream._write = function (this: unknown, ...a: unknown[]) {
            written.push(monotonicMs());
            return w.apply(this, a);
          };
          const wv = stream._writev;
          if (wv)
            stream._writev = function (this: unknown, ...a: unknown[]) {
              written.push(monotonicMs());
              return wv.apply(this, a);
            };
        }
      }
    }
    return emit.call(this, event, ...args);
  };
  const publish = proto.publish;
  proto.publish = function (this: MqttClient, topic: unknown, message: unknown, ...rest: unknown[]) {
    if (typeof topic === 'string' && topic.endsWith('/events') && typeof message === 'string') {
      const m = /"point":"([^"]+)"/.exec(message);
      const t = /"ts":(\d+)/.exec(message);
      if (m && t) published.push([m[1]!, Number(t[1]), monotonicMs()]);
    }
    return publish.call(this, topic, message, ...rest);
  };

  // BENCH_PROBE_ALLOC=1: sampled allocations (garbage included) per 5 s window, <file>.<n>.heapprofile.
  if (process.env.BENCH_PROBE_ALLOC) {
    const session = new Session();
    session.connect();
    const start = () => session.post('HeapProfiler.startSampling', { samplingInterval: 2048, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
    start();
    let n = 0;
    setInterval(() => {
      session.post('HeapProfiler.stopSampling', (err, r) => {
        if (!err) appendFileSync(`${file}.${n++}.heapprofile`, JSON.stringify(r.profile));
        start();
      });
    }, 5000).unref();
  }

  setInterval(() => {
    const line = {
      at: monotonicMs(),
      eld: { max: eld.max / 1e6, p99: eld.percentile(99) / 1e6, p50: eld.percentile(50) / 1e6, mean: eld.mean / 1e6 },
      received,
      published,
      written,
      gc,
      reads,
    };
    eld.reset();
    received = [];
    published = [];
    written = [];
    gc = [];
    reads = [];
    appendFileSync(file, JSON.stringify(line) + '\n');
  }, 250).unref();
}
