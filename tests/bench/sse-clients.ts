// Child process of console-bench.ts: the 50 SSE clients, in a process of their own as browsers would
// be, so the gateway's figures do not carry the clients' own parsing. Args: base URL, cookie, count.
// Sends 'ready' once every stream is open; on 'stop' sends back every alarm message's seq with its
// receipt time (ms since the epoch, sub-ms precision) and exits.
import { readSse } from './sse-stream.js';

const [base, cookie, countText] = process.argv.slice(2) as [string, string, string];
const received: [number, number][] = [];
const controllers: AbortController[] = [];

async function client(): Promise<void> {
  const ctl = new AbortController();
  controllers.push(ctl);
  const res = await fetch(`${base}/api/v1/events`, { headers: { cookie }, signal: ctl.signal });
  readSse(res, (msg, at) => {
    const m = /^id: (\d+)\nevent: alarm/m.exec(msg);
    if (m) received.push([Number(m[1]), at]);
  });
}

await Promise.all(Array.from({ length: Number(countText) }, client));
process.send!('ready');
process.on('message', (m) => {
  if (m !== 'stop') return;
  for (const c of controllers) c.abort();
  process.send!({ received }, () => process.exit(0));
});
