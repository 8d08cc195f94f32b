import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { openDatabase } from '../../../gateway/store/database.js';
import { UserStore } from '../../../gateway/auth/user-store.js';
import { SecurityAudit } from '../../../gateway/auth/security-audit.js';
import { ApiTokenStore } from '../../../gateway/auth/tokens.js';
import { tempDir, waitFor } from '../../helpers/server-process.js';
import { connect, sleep, startEmbedded } from './broker-harness.js';

/**
 * Ending access ends MQTT sessions at once: a user disabled, removed or given a new password (in this
 * process, as the API does, or by another process, as the `users` CLI does) is disconnected from the
 * embedded broker, the disconnect is audited, and the client cannot log in again with what it had.
 */
const FAST = { ln: 10, r: 8, p: 1 };
const PW = 'old password 1234';
let dir: string;
let users: UserStore;
let audit: SecurityAudit;
let tokens: ApiTokenStore;
let broker: Awaited<ReturnType<typeof startEmbedded>>;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = tempDir('mqtt-revoke-');
  const db = openDatabase(join(dir, 'gateway.db'));
  users = new UserStore(db, { hashParams: FAST });
  audit = new SecurityAudit(db);
  tokens = new ApiTokenStore(db);
  for (const name of ['hmi-1', 'hmi-2', 'hmi-3', 'hmi-4', 'grafana', 'bystander']) await users.add({ name, password: PW, role: 'viewer' });
  // The API's UserStore is another instance on the same connection: the broker hears it through onChange.
  broker = await startEmbedded({ users: new UserStore(db, { hashParams: FAST }), tokens: new ApiTokenStore(db), audit, userCheckInterval: 200 });
}, 30_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await broker?.broker.stop();
});

/**
 * A client that tries to reconnect (as HMIs do), recording how each attempt ended. (The harness ends
 * a client at its first error, so one refused reconnect is what a test sees.)
 */
async function session(name: string, password = PW, clientId = `${name}-c`): Promise<{ client: MqttClient; closed: () => boolean; refusals: () => number; connects: () => number }> {
  const c = await connect(broker.url, { username: name, password, clientId });
  clients.push(c);
  let closed = false;
  let refusals = 0;
  let connects = 1;
  c.options.reconnectPeriod = 100;
  c.on('close', () => (closed = true));
  c.on('connect', () => connects++);
  c.on('error', (err) => {
    if (/Not authorized|Bad username or password/i.test(err.message)) refusals++;
  });
  return { client: c, closed: () => closed, refusals: () => refusals, connects: () => connects };
}

const ended = (target: string) => audit.list({ limit: 100 }).filter((e) => e.action === 'MQTT_SESSION_END' && e.target === target);

describe('ending a user ends their MQTT sessions', () => {
  it('disabling a user disconnects them at once; they cannot reconnect; others stay; the disconnect is audited', async () => {
    const s = await session('hmi-1');
    const other = await session('bystander');
    users.update('hmi-1', { disabled: true });
    await waitFor(() => s.closed(), 2_000, 'hmi-1 disconnected');
    await waitFor(() => s.refusals() >= 1, 5_000, 'the reconnect refused');
    await sleep(500);
    expect(s.connects()).toBe(1);
    expect(other.client.connected).toBe(true);
    expect(other.closed()).toBe(false);
    expect(ended('hmi-1')).toEqual([expect.objectContaining({ user: 'mqtt-broker', detail: 'client "hmi-1-c": user disabled' })]);
    expect(broker.metrics.counter('mqtt_sessions_ended', { reason: 'disabled' })).toBe(1);
    expect(broker.lines.some((l) => l.includes('MQTT 会话已断开') && l.includes('hmi-1'))).toBe(true);
  }, 20_000);

  it('a new password disconnects the user; the old password is refused, the new one works', async () => {
    const s = await session('hmi-2');
    await users.setPassword('hmi-2', 'new password 5678');
    await waitFor(() => s.closed(), 2_000, 'hmi-2 disconnected');
    await waitFor(() => s.refusals() >= 1, 5_000, 'the reconnect with the old password refused');
    expect(s.connects()).toBe(1);
    s.client.end(true);
    const again = await connect(broker.url, { username: 'hmi-2', password: 'new password 5678', clientId: 'hmi-2-new' });
    clients.push(again);
    await sleep(300);
    expect(again.connected).toBe(true);
    expect(ended('hmi-2')).toHaveLength(1);
  }, 20_000);

  it('removing a user disconnects them', async () => {
    const s = await session('hmi-3');
    users.remove('hmi-3');
    await waitFor(() => s.closed(), 2_000, 'hmi-3 disconnected');
    await waitFor(() => s.refusals() >= 1, 5_000, 'reconnect refused');
    expect(ended('hmi-3')[0]?.detail).toContain('user removed');
  }, 20_000);

  it('a change made by another process (the users CLI, another connection) disconnects the user within the check interval', async () => {
    const s = await session('hmi-4');
    const cli = openDatabase(join(dir, 'gateway.db'));
    new UserStore(cli, { hashParams: FAST }).update('hmi-4', { disabled: true });
    cli.close();
    await waitFor(() => s.closed(), 3_000, 'hmi-4 disconnected');
    expect(ended('hmi-4')[0]?.detail).toContain('user disabled');
  }, 20_000);

  it('revoking the API token a client logged in with disconnects it; the token no longer logs in', async () => {
    const { token, info } = tokens.create('grafana', 'Grafana MQTT', 'admin');
    const s = await session('grafana', token, 'grafana-token');
    const withPassword = await session('grafana', PW, 'grafana-password');
    tokens.revoke(info.id);
    await waitFor(() => s.closed(), 2_000, 'the token session disconnected');
    await waitFor(() => s.refusals() >= 1, 5_000, 'the revoked token refused');
    expect(ended('grafana')[0]?.detail).toContain(`API token ${info.id} revoked`);
    // The same user's password session is not the token's: it stays.
    expect(withPassword.closed()).toBe(false);
    expect(withPassword.client.connected).toBe(true);
  }, 20_000);
});
