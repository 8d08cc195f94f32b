import type { Socket } from 'node:net';
import type { MqttClient } from 'mqtt';

/**
 * Nagle's algorithm holds a small write until the previous one is acknowledged, and Linux delays
 * that acknowledgement up to 40 ms: a message written behind another small packet waits that long
 * (bench:ingest's p99 of ~45 ms was readings held so in the broker). MQTT packets are small and each
 * one matters on its own, so every MQTT socket of the gateway sends at once (EMQX does the same by
 * default; mosquitto has `set_tcp_nodelay true`). mqtt.js makes a new socket on each reconnect,
 * hence on every 'connect'.
 */
export function sendMqttWithoutDelay(client: MqttClient): void {
  client.on('connect', () => noDelay(client.stream as unknown));
}

/** TCP and TLS sockets; a WebSocket stream has no such knob and is left alone. */
function noDelay(stream: unknown): void {
  const s = stream as Partial<Pick<Socket, 'setNoDelay'>> | undefined;
  if (typeof s?.setNoDelay === 'function') s.setNoDelay(true);
}

/**
 * Read coalescing, as a network card moderates interrupts: when reads follow each other closer than
 * `windowMs`, the socket pauses for `windowMs` so that the next read takes everything that arrived
 * meanwhile. Under a flood of small packets (tens of thousands of sensor messages a second, each in
 * its own TCP segment) this turns thousands of reads, each a trip through the event loop and the
 * stream machinery, into at most one per window, for at most `windowMs` of added latency. A quiet
 * link is never delayed: the first read after a pause longer than the window goes straight through.
 */
export function coalesceReads(client: MqttClient, windowMs: number): void {
  if (windowMs <= 0) return;
  client.on('connect', () => {
    const socket = client.stream as unknown as Socket & { _handle?: ReadHandle | null };
    const handle = socket._handle;
    // Stopping the stream (pause()) would not do: Node keeps reading the kernel into the stream's
    // buffer. The handle's own readStop/readStart is what net.Socket itself uses; without them
    // (another stream type, another Node) every read goes straight through, as before.
    if (!handle || typeof handle.readStop !== 'function' || typeof handle.readStart !== 'function') return;
    let last = -Infinity;
    let timer: NodeJS.Timeout | undefined;
    socket.prependListener('data', () => {
      const now = performance.now();
      if (timer === undefined && now - last < windowMs && socket._handle === handle) {
        // net.Socket still counts the handle as reading, so it never restarts it behind our back.
        handle.readStop();
        timer = setTimeout(() => {
          timer = undefined;
          // reading false: net.Socket stopped the handle itself meanwhile (its buffer is full) and
          // restarts it when drained.
          if (!socket.destroyed && socket._handle === handle && handle.reading !== false) handle.readStart();
        }, windowMs);
      }
      last = now;
    });
    socket.once('close', () => clearTimeout(timer));
  });
}

interface ReadHandle {
  reading?: boolean;
  readStop(): number;
  readStart(): number;
}
