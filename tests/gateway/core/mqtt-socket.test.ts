import { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { coalesceReads, sendMqttWithoutDelay } from '../../../gateway/core/mqtt-socket.js';
import { readFileSync } from 'node:fs';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { TestPki } from '../../helpers/tls-certs.js';
import { waitFor } from '../../helpers/ports.js';
import { startEmbedded } from '../mqtt/broker-harness.js';

let mosquitto: MosquittoServer;
beforeAll(async () => {
  mosquitto = await MosquittoServer.start();
});
afterAll(async () => {
  await mosquitto?.stop();
});

const clients: MqttClient[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of clients.splice(0)) await c.endAsync(true);
});

function client(opts: mqtt.IClientOptions = {}, tune?: (c: MqttClient) => void): Promise<MqttClient> {
  const c = mqtt.connect(mosquitto.url, { reconnectPeriod: 100, ...opts });
  clients.push(c);
  tune?.(c);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** Publishes `count` numbered QoS 0 messages in bursts, as a sensor gateway flooding the broker. */
async function flood(pub: MqttClient, topic: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    pub.publish(topic, String(i), { qos: 0 });
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
}

describe('coalesced reads (ingest under a flood)', () => {
  it('delivers every message in order, and a lone message after the flood without waiting for more', async () => {
    const seen: number[] = [];
    const sub = await client({}, (c) => coalesceReads(c, 5));
    // Coalescing falls back to plain reads when the socket has no handle to stop: this one must hold.
    const readStops = vi.spyOn((sub.stream as unknown as { _handle: { readStop: () => number } })._handle, 'readStop');
    sub.on('message', (_t, p) => seen.push(Number(p.toString())));
    await sub.subscribeAsync('flood/a', { qos: 0 });
    const pub = await client({}, sendMqttWithoutDelay);
    await flood(pub, 'flood/a', 0, 20_000);
    await waitFor(() => seen.length === 20_000, 20_000, 'the flood');
    // The broker is quiet now: the next message must come through on its own, not wait for company.
    await new Promise((r) => setTimeout(r, 200));
    pub.publish('flood/a', '20000', { qos: 0 });
    await waitFor(() => seen.length === 20_001, 5000, 'the lone message');
    expect(seen).toEqual(Array.from({ length: 20_001 }, (_, i) => i));
    expect(readStops).toHaveBeenCalled();
  });

  it('survives its connection dropping while reads are held, and coalesces on the new one', async () => {
    const seen: number[] = [];
    const sub = await client({ clean: true }, (c) => coalesceReads(c, 5));
    sub.on('message', (_t, p) => seen.push(Number(p.toString())));
    await sub.subscribeAsync('flood/b', { qos: 0 });
    const pub = await client({}, sendMqttWithoutDelay);
    const errors: Error[] = [];
    sub.on('error', (e) => errors.push(e));
    const flooding = flood(pub, 'flood/b', 0, 5000);
    // Cut the subscriber's TCP connection in the middle of the flood.
    await waitFor(() => seen.length > 100, 5000, 'the flood to start');
    sub.stream.destroy();
    await flooding;
    await waitFor(() => sub.connected && seen.length > 0, 5000, 'the reconnect');
    // mqtt.js resubscribes on reconnect; wait until the broker has the subscription again.
    const before = seen.length;
    await waitFor(
      async () => {
        pub.publish('flood/b', '-1', { qos: 0 });
        await new Promise((r) => setTimeout(r, 50));
        return seen.length > before;
      },
      5000,
      'the resubscription',
    );
    const from = seen.length;
    const readStops = vi.spyOn((sub.stream as unknown as { _handle: { readStop: () => number } })._handle, 'readStop');
    await flood(pub, 'flood/b', 100_000, 10_000);
    await waitFor(() => seen.length - from >= 10_000, 20_000, 'the flood after the reconnect');
    expect(seen.slice(from).filter((n) => n >= 100_000)).toEqual(Array.from({ length: 10_000 }, (_, i) => 100_000 + i));
    expect(errors).toEqual([]);
    expect(readStops).toHaveBeenCalled();
  });

  it('holds and resumes reads over TLS too, losing nothing', async () => {
    const pki = TestPki.create();
    const tls = await MosquittoServer.start({ tls: { cafile: pki.ca.cert, certfile: pki.server.cert, keyfile: pki.server.key } });
    try {
      const opts = { ca: readFileSync(pki.ca.cert), reconnectPeriod: 0 };
      const connected = (c: MqttClient) => new Promise<MqttClient>((resolve, reject) => (c.once('connect', () => resolve(c)), c.once('error', reject)));
      const subClient = mqtt.connect(tls.url, opts);
      clients.push(subClient);
      coalesceReads(subClient, 5);
      const sub = await connected(subClient);
      const readStops = vi.spyOn((sub.stream as unknown as { _handle: { readStop: () => number } })._handle, 'readStop');
      const seen: number[] = [];
      sub.on('message', (_t, p) => seen.push(Number(p.toString())));
      await sub.subscribeAsync('flood/tls', { qos: 0 });
      const pub = await connected(mqtt.connect(tls.url, opts));
      clients.push(pub);
      await flood(pub, 'flood/tls', 0, 10_000);
      await waitFor(() => seen.length === 10_000, 20_000, 'the flood over TLS');
      expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
      expect(readStops).toHaveBeenCalled();
    } finally {
      for (const c of clients.splice(0)) await c.endAsync(true);
      await tls.stop();
      pki.dispose();
    }
  });

  it('leaves the socket alone with a window of 0', async () => {
    const sub = await client({}, (c) => coalesceReads(c, 0));
    expect(sub.stream.listenerCount('data')).toBe(1);
  });
});

describe('no Nagle delay on MQTT sockets', () => {
  it("sets TCP_NODELAY on a client's socket, again after every reconnect", async () => {
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const c = await client({}, sendMqttWithoutDelay);
    const first = c.stream;
    expect(noDelay.mock.contexts).toContain(first);
    c.stream.destroy();
    await waitFor(() => c.connected && c.stream !== first, 5000, 'the reconnect');
    expect(noDelay.mock.contexts).toContain(c.stream);
    expect(noDelay.mock.calls.every(([on]) => on === true)).toBe(true);
  });

  it("sets TCP_NODELAY on the embedded broker's side of every connection", async () => {
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const b = await startEmbedded({ allowAnonymous: true });
    try {
      const c = mqtt.connect(b.url, { reconnectPeriod: 0 });
      clients.push(c);
      await new Promise((resolve) => c.once('connect', resolve));
      const local = (c.stream as Socket).localPort;
      const brokerSide = noDelay.mock.contexts.find((s) => (s as Socket).remotePort === local);
      expect(brokerSide).toBeDefined();
    } finally {
      await b.broker.stop();
    }
  });
});
