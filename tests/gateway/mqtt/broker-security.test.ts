import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { TestPki } from '../../helpers/tls-certs.js';
import { waitFor } from '../../helpers/ports.js';
import { collect, connect, sleep, startEmbedded, subscribe } from './broker-harness.js';

const FAST = { ln: 10, r: 8, p: 1 };
const PW = 'a long password';

async function usersWith(entries: [name: string, role: 'viewer' | 'operator' | 'admin' | 'device'][]): Promise<UserStore> {
  const store = new UserStore(openDatabase(':memory:'), { hashParams: FAST });
  for (const [name, role] of entries) await store.add({ name, password: PW, role });
  return store;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function broker(options: Parameters<typeof startEmbedded>[0] = {}) {
  const b = await startEmbedded({ users: await usersWith([['hmi', 'viewer'], ['co-001', 'device'], ['boss', 'admin'], ['op', 'operator']]), ...options });
  stops.push(() => b.broker.stop());
  const gateway = await connect(b.url, { ...b.broker.internalUser, clientId: 'gateway-gw1-test' });
  stops.unshift(() => gateway.endAsync());
  return { ...b, gateway };
}

const as = (url: string, username: string, clientId = `${username}-c`) => connect(url, { username, password: PW, clientId });

describe('embedded broker: built-in access by role', () => {
  it('lets an HMI read gw/<id>/# and write nothing; a sensor write only its own ingest topic', async () => {
    const b = await broker();
    const hmi = await as(b.url, 'hmi');
    const hmiSeen = collect(hmi);
    expect(await subscribe(hmi, ['gw/gw1/#', 'gw/gw1/alarms/+', 'plant/#', '#'])).toEqual([1, 1, 128, 128]);
    const gwSeen = collect(b.gateway);
    await subscribe(b.gateway, ['gw/gw1/#']);

    const sensor = await as(b.url, 'co-001');
    expect(await subscribe(sensor, ['gw/gw1/#'])).toEqual([128]);
    await sensor.publishAsync('gw/gw1/ingest/co-001', '{"point":"co_001","value":1}', { qos: 1 });
    await sensor.publishAsync('gw/gw1/ingest/co-001/sub', 'x', { qos: 1 });
    await sensor.publishAsync('gw/gw1/ingest/co-002', 'forged', { qos: 1 });
    await sensor.publishAsync('gw/gw1/alarms/x:HH', 'forged', { qos: 1, retain: true });
    await hmi.publishAsync('gw/gw1/ingest/co-001', 'from-hmi', { qos: 1 });
    await hmi.publishAsync('gw/gw1/status', 'offline', { qos: 1, retain: true });
    await b.gateway.publishAsync('gw/gw1/alarms/real:HH', 'state', { qos: 1, retain: true });
    await sleep(500);
    const got = [...gwSeen.messages].map((m) => `${m.topic} ${m.payload}`);
    expect(got).toEqual(['gw/gw1/ingest/co-001 {"point":"co_001","value":1}', 'gw/gw1/ingest/co-001/sub x', 'gw/gw1/alarms/real:HH state']);
    expect(hmiSeen.topics.has('gw/gw1/alarms/real:HH')).toBe(true);
    expect(hmiSeen.topics.has('gw/gw1/alarms/x:HH')).toBe(false);
    // Denials dropped the messages and kept everyone connected; each is counted.
    expect([hmi.connected, sensor.connected, b.gateway.connected]).toEqual([true, true, true]);
    expect(b.metrics.total('mqtt_publish_denied')).toBe(4);
    expect(b.metrics.total('mqtt_subscribe_denied')).toBe(3);
    // A late subscriber does not get a forged retained alarm state.
    const late = await as(b.url, 'op');
    const lateSeen = collect(late);
    await subscribe(late, ['gw/gw1/alarms/#']);
    await sleep(300);
    expect(lateSeen.messages.map((m) => m.topic)).toEqual(['gw/gw1/alarms/real:HH']);
    for (const c of [hmi, sensor, late]) await c.endAsync();
  }, 30_000);

  it('checks wildcard subscriptions by subsumption against the acl file: a # does not pass a grant for plant/a/#', async () => {
    const { writeFileSync } = await import('node:fs');
    const { tempDir } = await import('../../helpers/server-process.js');
    const dir = tempDir('acl-');
    const aclFile = join(dir, 'acl');
    writeFileSync(aclFile, 'user op\ntopic read plant/a/#\ntopic deny plant/a/secret/#\n');
    const b = await broker({ aclFile });
    const op = await as(b.url, 'op');
    const seen = collect(op);
    expect(await subscribe(op, ['#', 'plant/#', 'plant/+/temp', 'plant/a/#', 'plant/a/+/x', 'plant/a/secret/#'])).toEqual([128, 128, 128, 1, 1, 128]);
    for (const t of ['plant/a/temp', 'plant/a/secret/key', 'plant/b/temp']) await b.gateway.publishAsync(t, t, { qos: 1 });
    await sleep(500);
    // The delivery check holds the deny inside an allowed filter.
    expect([...seen.topics]).toEqual(['plant/a/temp']);
    await op.endAsync();
  }, 30_000);

  it('keeps $SYS for admins and the gateway client ids for the gateway credential', async () => {
    const b = await broker();
    const hmi = await as(b.url, 'hmi');
    const boss = await as(b.url, 'boss');
    expect(await subscribe(hmi, ['$SYS/#'])).toEqual([128]);
    const bossSeen = collect(boss);
    expect(await subscribe(boss, ['$SYS/#'])).toEqual([1]);
    // aedes announces new clients on $SYS: only the admin sees who connects.
    const other = await as(b.url, 'op');
    await waitFor(() => bossSeen.messages.some((m) => m.topic.includes('/new/clients') && m.payload === 'op-c'), 5000, '$SYS new client');
    // A client that takes a gateway client id is refused, even with valid credentials; the gateway stays.
    await expect(connect(b.url, { username: 'op', password: PW, clientId: 'gateway-gw1-test' })).rejects.toThrow(/Identifier rejected/i);
    await expect(connect(b.url, { clientId: 'gateway-gw1-12345' })).rejects.toThrow(/Identifier rejected/i);
    await sleep(200);
    expect(b.gateway.connected).toBe(true);
    for (const c of [hmi, boss, other]) await c.endAsync();
  }, 30_000);
});

describe('embedded broker: failed logins', () => {
  it('counts refusals, rate-limits an address, and logs once per burst with client text escaped', async () => {
    const b = await broker({ limits: { maxLoginFailures: 3, loginWindow: 60_000 } });
    const evil = 'x\u001b[31m\n报警 #99 【重大】';
    for (let i = 0; i < 6; i++) await expect(connect(b.url, { username: 'op', password: 'wrong password', clientId: `${evil}${i}`.slice(0, 23) })).rejects.toThrow(/Not authorized|Bad username/i);
    // The right password is refused too while the address is blocked.
    await expect(as(b.url, 'op')).rejects.toThrow(/Not authorized/i);
    expect(b.metrics.counter('mqtt_auth_failures', { reason: 'bad_credentials' })).toBe(3);
    expect(b.metrics.counter('mqtt_auth_failures', { reason: 'rate_limited' })).toBe(4);
    const refusals = b.lines.filter((l) => l.includes('login refused'));
    expect(refusals).toHaveLength(2); // one per burst and reason, not one per attempt
    for (const l of b.lines) {
      // eslint-disable-next-line no-control-regex -- matching control characters is the point: log lines must carry no raw control character from client text
      expect(l).not.toMatch(/[\u0000-\u001f]/);
      expect(l).not.toContain('\n');
    }
    expect(refusals[0]).toContain('\\x1b[31m\\n报警 #99');
    b.broker['loginLog'].flush();
    expect(b.lines.some((l) => /2 more like this/.test(l))).toBe(true);
  }, 30_000);
});

describe('embedded broker: limits', () => {
  it('closes a connection sending a packet over the size limit once its header arrives, and keeps serving others', async () => {
    const b = await broker({ limits: { maxPacketBytes: 64 * 1024 } });
    const hmi = await as(b.url, 'hmi');
    const sensor = await as(b.url, 'co-001');
    const closed = new Promise<void>((r) => sensor.once('close', () => r()));
    sensor.publish('gw/gw1/ingest/co-001', Buffer.alloc(200 * 1024, 1));
    await closed;
    expect(b.metrics.counter('mqtt_oversized_packets')).toBe(1);
    // A raw socket announcing 50 MB is closed after 5 bytes.
    const raw = netConnect(b.port, '127.0.0.1');
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x19]));
    await new Promise<void>((r) => raw.once('close', () => r()));
    expect(hmi.connected).toBe(true);
    await hmi.endAsync();
  }, 30_000);

  it('refuses retained messages past the count limit without dropping the live message or the client', async () => {
    const { writeFileSync } = await import('node:fs');
    const { tempDir } = await import('../../helpers/server-process.js');
    const aclFile = join(tempDir('acl-'), 'acl');
    writeFileSync(aclFile, 'user op\ntopic readwrite plant/#\n');
    const b = await broker({ aclFile, limits: { maxRetainedMessages: 2 } });
    const op = await as(b.url, 'op');
    for (const t of ['plant/1', 'plant/2', 'plant/3']) await op.publishAsync(t, 'v', { qos: 1, retain: true });
    await op.publishAsync('plant/1', 'v2', { qos: 1, retain: true }); // replacing one is fine
    await sleep(200);
    const late = await as(b.url, 'op', 'late');
    const seen = collect(late);
    await subscribe(late, ['plant/#']);
    await sleep(300);
    expect(seen.messages.filter((m) => m.retain).map((m) => `${m.topic}=${m.payload}`).sort()).toEqual(['plant/1=v2', 'plant/2=v']);
    expect(b.metrics.counter('mqtt_retained_refused')).toBe(1);
    expect(op.connected).toBe(true);
    for (const c of [op, late]) await c.endAsync();
  }, 30_000);

  it('disconnects a subscriber that does not read once its queue passes the limit, and counts it', async () => {
    const b = await broker({ limits: { maxQueuedBytes: 256 * 1024 } });
    // A raw MQTT client that connects, subscribes, and then never reads its socket.
    const { default: mqttPacket } = await import('mqtt-packet');
    const raw = netConnect(b.port, '127.0.0.1');
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'slow', keepalive: 0, username: 'hmi', password: Buffer.from(PW) }));
    raw.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'gw/gw1/readings/#', qos: 0 }] }));
    await sleep(300);
    raw.pause();
    const closed = new Promise<void>((r) => raw.once('close', () => r()));
    const payload = Buffer.alloc(16 * 1024, 7);
    const fast = await as(b.url, 'hmi', 'fast');
    for (let i = 0; i < 2000 && b.metrics.counter('mqtt_slow_client_disconnects') === 0; i++) {
      await b.gateway.publishAsync(`gw/gw1/readings/p${i % 10}`, payload, { qos: 0 });
      if (i % 50 === 0) await sleep(5);
    }
    await waitFor(() => b.metrics.counter('mqtt_slow_client_disconnects') >= 1, 10_000, 'slow client disconnect');
    raw.resume();
    await closed;
    expect(fast.connected).toBe(true);
    await fast.endAsync();
  }, 60_000);
});

describe('embedded broker: TLS listener', () => {
  it('serves mqtts with the configured certificate and requires a client certificate when asked', async () => {
    const pki = TestPki.create();
    const b = await broker({ tls: { port: 0, certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert, requireClientCert: true } });
    const url = `mqtts://127.0.0.1:${b.broker.tlsPort}`;
    const client = pki.issueClient('hmi');
    const ok: MqttClient = await connect(url, { username: 'hmi', password: PW, clientId: 'tls-hmi', ca: readFileSync(pki.ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key) });
    expect(await subscribe(ok, ['gw/gw1/#'])).toEqual([1]);
    await ok.endAsync();
    await expect(connect(url, { username: 'hmi', password: PW, clientId: 'tls-nocert', ca: readFileSync(pki.ca.cert) })).rejects.toThrow();
    await waitFor(() => b.metrics.counter('mqtt_tls_failures') >= 1, 5000, 'TLS failure counted');
  }, 30_000);
});
