import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { MosquittoServer } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/server-process.js';
import { collect, connect, sleep, startEmbedded, subscribe } from './broker-harness.js';

/**
 * The same password file (mosquitto_passwd) and acl file loaded into Debian's mosquitto 2.0.11 and
 * into the embedded broker must give the same answers. Reads are tested by subscribing to the exact
 * topic and seeing whether a message arrives; writes by publishing and seeing whether an observer
 * with full rights receives it. (Wildcard subscriptions differ on purpose: mosquitto accepts any
 * filter and filters deliveries, the embedded broker also refuses a filter no grant covers; see
 * broker-security.test.ts.)
 */
const PASSWORDS: Record<string, string> = {
  alice: 'alice password 1',
  bob: 'bob password 22',
  sensor1: 'sensor password 3',
  root: 'root password 44',
};
/** A mosquitto 1.x style $6$ (SHA-512 of password + salt) entry, which both must still accept. */
const LEGACY = { user: 'legacy', password: 'legacy password 5' };

const ACL = `# anonymous clients (none log in here: allow_anonymous is off)
topic read public/#

user alice
topic readwrite plant/a/#
topic deny plant/a/secret/#
topic read plant/shared

user bob
topic read plant/#
topic write plant/b/cmd
topic deny plant/b/private

user root
topic readwrite #

user legacy
topic plant/legacy

pattern write devices/%u/data
pattern read devices/%c/cmd
pattern deny devices/%u/data/locked
pattern read plant/a/private
`;

type Case = [user: string, action: 'read' | 'write', topic: string, allowed: boolean];
const CASES: Case[] = [
  ['alice', 'write', 'plant/a/temp', true],
  ['alice', 'read', 'plant/a/temp', true],
  ['alice', 'write', 'plant/a/secret/x', false],
  ['alice', 'read', 'plant/a/secret/x', false],
  ['alice', 'read', 'plant/shared', true],
  ['alice', 'write', 'plant/shared', false],
  ['alice', 'write', 'plant/b/cmd', false],
  ['alice', 'read', 'plant/b/temp', false],
  ['alice', 'read', 'public/news', false],
  ['alice', 'write', 'devices/alice/data', true],
  ['alice', 'write', 'devices/bob/data', false],
  ['alice', 'write', 'devices/alice/data/locked', false],
  ['alice', 'read', 'devices/c-alice/cmd', true],
  ['alice', 'read', 'devices/c-bob/cmd', false],
  ['bob', 'read', 'plant/a/temp', true],
  ['bob', 'write', 'plant/a/temp', false],
  ['bob', 'write', 'plant/b/cmd', true],
  ['bob', 'read', 'plant/b/cmd', true],
  ['bob', 'read', 'plant/b/private', false],
  ['bob', 'read', 'plant/a/private', true],
  ['bob', 'read', 'other/x', false],
  ['sensor1', 'write', 'devices/sensor1/data', true],
  ['sensor1', 'write', 'devices/sensor1/other', false],
  ['sensor1', 'read', 'devices/sensor1/data', false],
  ['sensor1', 'read', 'devices/c-sensor1/cmd', true],
  ['sensor1', 'write', 'plant/a/temp', false],
  ['legacy', 'write', 'plant/legacy', true],
  ['legacy', 'read', 'plant/legacy', true],
  ['legacy', 'read', 'plant/a/temp', false],
];

interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
}

let dir: string;
let passwordFile: string;
let aclFile: string;
const targets: Target[] = [];

beforeAll(async () => {
  dir = tempDir('acl-parity-');
  passwordFile = join(dir, 'passwd');
  aclFile = join(dir, 'acl');
  Object.entries(PASSWORDS).forEach(([user, pw], i) => execFileSync('/usr/bin/mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwordFile, user, pw], { stdio: 'pipe' }));
  const salt = randomBytes(12);
  const hash = createHash('sha512').update(LEGACY.password).update(salt).digest();
  appendFileSync(passwordFile, `${LEGACY.user}:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`);
  writeFileSync(aclFile, ACL);
  const mosquitto = await MosquittoServer.start({ passwordFile, aclFile });
  targets.push({ name: 'mosquitto 2.0.11', url: mosquitto.url, stop: () => mosquitto.stop() });
  const embedded = await startEmbedded({ passwordFile, aclFile });
  targets.push({ name: 'embedded', url: embedded.url, stop: () => embedded.broker.stop() });
}, 60_000);

afterAll(async () => {
  for (const t of targets) await t.stop();
});

const login = (url: string, user: string, password = user === LEGACY.user ? LEGACY.password : PASSWORDS[user]) =>
  connect(url, { username: user, password, clientId: `c-${user}` });

/** Runs the whole table against one broker; returns the observed answer per case. */
async function observe(url: string): Promise<boolean[]> {
  const root = await connect(url, { username: 'root', password: PASSWORDS.root, clientId: 'observer' });
  const rootSeen = collect(root);
  await subscribe(root, [...new Set(CASES.filter((c) => c[1] === 'write').map((c) => c[2]))]);
  // Reads: each user subscribes to its read topics (exact), root publishes each once.
  const users = [...new Set(CASES.map((c) => c[0]))];
  const readers = new Map<string, { client: MqttClient; seen: ReturnType<typeof collect> }>();
  for (const u of users) {
    const client = await login(url, u);
    readers.set(u, { client, seen: collect(client) });
    const reads = CASES.filter((k) => k[0] === u && k[1] === 'read').map((k) => k[2]);
    if (reads.length) await subscribe(client, reads);
  }
  for (const t of new Set(CASES.filter((c) => c[1] === 'read').map((c) => c[2]))) await root.publishAsync(t, 'from-root', { qos: 1 });
  await sleep(1000);
  const readersStayed = [...readers.values()].every((r) => r.client.connected);
  for (const r of readers.values()) await r.client.endAsync();
  // Writes: one connection per case, QoS 0. Mosquitto 2.0.11 closes the connection of a client whose
  // publish it denies (the embedded broker drops the message and keeps the client); other clients
  // must never notice.
  for (const [u, action, t] of CASES) {
    if (action !== 'write') continue;
    const c = await login(url, u);
    await c.publishAsync(t, `from-${u}`, { qos: 0 });
    await sleep(100);
    c.end(true);
  }
  await sleep(1000);
  const answers = CASES.map(([u, action, t]) =>
    action === 'read' ? readers.get(u)!.seen.messages.some((m) => m.topic === t && m.payload === 'from-root') : rootSeen.messages.some((m) => m.topic === t && m.payload === `from-${u}`),
  );
  expect(readersStayed, `${url}: a reader was disconnected`).toBe(true);
  expect(root.connected, `${url}: the observer was disconnected by someone else's denial`).toBe(true);
  await root.endAsync();
  return answers;
}

describe('ACL parity: mosquitto 2.0.11 and the embedded broker, same password and acl files', () => {
  it('give the same allow/deny answer for every (user, action, topic) case, and the expected one', async () => {
    const expected = CASES.map((c) => c[3]);
    const results: Record<string, boolean[]> = {};
    for (const t of targets) results[t.name] = await observe(t.url);
    const table = CASES.map((c, i) => `${c[0]} ${c[1]} ${c[2]}: expected ${c[3]}, ${targets.map((t) => `${t.name} ${results[t.name]![i]}`).join(', ')}`);
    for (const t of targets) expect(results[t.name], table.join('\n')).toEqual(expected);
  }, 60_000);

  it('refuse the same logins: wrong password, unknown user, no credentials', async () => {
    for (const t of targets) {
      await expect(connect(t.url, { username: 'alice', password: 'wrong password!', clientId: 'x1' }), t.name).rejects.toThrow(/Not authorized|Bad username or password/i);
      await expect(connect(t.url, { username: 'mallory', password: 'whatever pass', clientId: 'x2' }), t.name).rejects.toThrow(/Not authorized|Bad username or password/i);
      await expect(connect(t.url, { clientId: 'x3' }), t.name).rejects.toThrow(/Not authorized/i);
      const ok = await login(t.url, LEGACY.user);
      await ok.endAsync();
    }
  }, 60_000);
});
