// Child process of console-bench.ts: the 50 SSE clients, in a process of their own as browsers would
// be, so the gateway's figures do not carry the clients' own parsing. Args: base URL, cookie, count.
// One process serves every round (started, and warmed, before anything is timed): sends 'started'
// once loaded; on 'open' opens the streams and answers 'open' once every stream is open; on 'close'
// aborts them and answers every alarm message's seq received since 'open' with its receipt time (ms
// since the epoch, sub-ms precision) and the CPU this process used meanwhile; on 'exit' exits.
import { performance } from 'node:perf_hooks';
import { readSse } from './sse-stream.js';

const [base, cookie, countText] = process.argv.slice(2) as [string, string, string];
let received: [number, number][] = [];
let controllers: AbortController[] = [];
let cpuAtOpen = process.cpuUsage();
let openedAt = 0;

async function client(): Promise<void> {
  const ctl = new AbortController();
  controllers.push(ctl);
  const res = await fetch(`${base}/api/v1/events`, { headers: { cookie }, signal: ctl.signal });
  if (res.status !== 200) throw new Error(`GET /api/v1/events answered ${res.status}`);
  readSse(res, (msg, at) => {
    const m = /^id: (\d+)\nevent: alarm/m.exec(msg);
    if (m) received.push([Number(m[1]), at]);
  });
}

process.on('message', (m) => {
  if (m === 'open') {
    received = [];
    cpuAtOpen = process.cpuUsage();
    openedAt = performance.now();
    Promise.all(Array.from({ length: Number(countText) }, client)).then(
      () => process.send!('open'),
      (err: unknown) => {
        console.error('SSE clients could not open their streams:', err);
        process.exit(1);
      },
    );
  } else if (m === 'close') {
    for (const c of controllers) c.abort();
    controllers = [];
    const cpu = process.cpuUsage(cpuAtOpen);
    process.send!({ received, cpuPctOfOneCore: ((cpu.user + cpu.system) / 1000 / (performance.now() - openedAt)) * 100 });
  } else if (m === 'exit') {
    process.exit(0);
  }
});
process.send!('started');
