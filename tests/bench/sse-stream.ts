// The benchmarks' SSE reader, as a browser's EventSource would frame the stream: each message's text
// (up to its blank line) with the time its chunk arrived (ms since the epoch, sub-ms precision).
import { performance } from 'node:perf_hooks';

/** Reads `res`'s event stream until it ends or is aborted, calling `onMessage` per message. */
export function readSse(res: Response, onMessage: (text: string, receivedAt: number) => void): void {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.timeOrigin + performance.now();
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          onMessage(msg, at);
        }
      }
    } catch {
      /* aborted */
    }
  })().catch((err: unknown) => console.error('SSE reader failed:', err));
}
