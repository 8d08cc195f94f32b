// Child process of centre-bench.ts: the centre console, as a browser tab would hold it, in a process
// of its own so the centre's CPU figure carries none of the client's parsing. Args: base URL, cookie.
// Opens GET /api/v1/centre/events, sends 'ready' once the stream said hello; on 'stop' sends back
// every alarm activation it received: [enterpriseCode/alarmKey, the enterprise envelope's timestamp,
// receipt time (ms since the epoch, sub-ms precision)] and exits.
import { readSse } from './sse-stream.js';

const [base, cookie] = process.argv.slice(2) as [string, string];
const received: [string, number, number][] = [];
const ctl = new AbortController();
let gaps = 0;

const res = await fetch(`${base}/api/v1/centre/events`, { headers: { cookie }, signal: ctl.signal });
if (res.status !== 200) throw new Error(`centre events: HTTP ${res.status}`);
let lastId = 0;
let ready = false;
readSse(res, (msg, at) => {
  const m = /^id: (\d+)\nevent: (\w+)\ndata: (.*)$/m.exec(msg);
  if (!m) return;
  const id = Number(m[1]);
  if (m[2] === 'hello') {
    lastId = id;
    if (!ready) process.send!('ready');
    ready = true;
    return;
  }
  // Ids are consecutive: a gap is a message the centre never wrote to this client.
  if (lastId > 0 && id !== lastId + 1) gaps++;
  lastId = id;
  if (m[2] !== 'alarm') return;
  const d = JSON.parse(m[3]!) as { enterpriseCode: string; activation: boolean; sentAt: number; alarm: { alarmKey: string } };
  if (d.activation) received.push([`${d.enterpriseCode}/${d.alarm.alarmKey}`, d.sentAt, at]);
});

process.on('message', (m) => {
  if (m !== 'stop') return;
  ctl.abort();
  process.send!({ received, gaps }, () => process.exit(0));
});
