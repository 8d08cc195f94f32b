import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmEventSchema, type AlarmEvent } from '../../gateway/core/alarm-event.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { writeDemoModbusConfig } from '../helpers/demo-modbus-config.js';
import { Tmpfs } from '../helpers/tmpfs.js';

/**
 * The demo's data directory on a 3 MB tmpfs (the tests run as root), filled with dd while the
 * gateway runs: it must go on annunciating on the terminal and on MQTT, raise a red storage alarm
 * naming the path, and journal what it held, in order, once space returns.
 */
describe('a gateway whose disk fills up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-e2e-diskfull-'));
  const disk = new Tmpfs('3m', 'gw-e2e-diskfull-mnt-');
  let cli: CliProcess | undefined;
  let client: mqtt.MqttClient | undefined;

  afterAll(() => {
    client?.end(true);
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
    disk.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps annunciating, raises gateway:STORAGE_FAILING "disk full at <dir>", and journals the held events in order after', async () => {
    const dataDir = join(disk.path, 'data');
    const mqttPort = await freePort();
    cli = startCli(['demo', '--config', writeDemoModbusConfig(dir), '--mqtt-port', String(mqttPort), '--sim-port', '0', '--http-port', String(await freePort()), '--speed', '20', '--data-dir', dataDir]);
    await waitFor(() => cli!.output().includes('gateway demo-gw started'), 90_000, `the demo to start\n${cli.output()}`);
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    const events: AlarmEvent[] = [];
    client.on('message', (_t, payload) => events.push(alarmEventSchema.parse(JSON.parse(payload.toString()))));
    await client.subscribeAsync('gw/demo-gw/events', { qos: 1 });

    disk.fill();
    const failing = await waitFor(() => events.find((e) => e.alarmId === 'gateway:STORAGE_FAILING' && e.active), 90_000, `the storage alarm\n${cli.output()}`);
    expect(failing.severity).toBe(4);
    expect(failing.message).toContain(`disk full at ${dataDir}`);
    expect(cli.output()).toContain('[gateway:STORAGE_FAILING]');
    // Still annunciating, on MQTT and on the terminal, with the disk full.
    const after = failing.seq;
    const later = await waitFor(() => events.find((e) => e.seq > after && e.alarmId !== 'gateway:STORAGE_FAILING'), 60_000, `an alarm after the disk filled\n${cli.output()}`);
    expect(cli.output()).toContain(`报警 #${later.seq} `);

    disk.free();
    const cleared = await waitFor(() => events.find((e) => e.alarmId === 'gateway:STORAGE_FAILING' && !e.active), 30_000, `the storage alarm to clear\n${cli.output()}`);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
    const rows = db.prepare('SELECT seq, event FROM alarm_events ORDER BY seq').all() as { seq: number; event: string }[];
    db.close();
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const journaled = new Map(rows.map((r) => [r.seq, JSON.parse(r.event) as AlarmEvent]));
    for (const e of events) expect(journaled.get(e.seq), `seq ${e.seq}`).toEqual(e);
    expect(journaled.get(cleared.seq)).toEqual(cleared);
  }, 300_000);
});
