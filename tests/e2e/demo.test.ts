import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmEventSchema, type AlarmEvent } from '../../gateway/core/alarm-event.js';
import { readingSchema } from '../../gateway/core/reading.js';
import { freePort, freePortRange, waitFor } from '../helpers/ports.js';
import { REPO_ROOT, startCli, type CliProcess } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * The README's demo, end to end: simulator + gateway as a child process (the real CLI), watched by
 * independent MQTT clients (mqtt.js and mosquitto_sub). The scenario runs at 4× speed.
 */
describe('demo plant end to end', () => {
  let cli: CliProcess | undefined;
  let client: mqtt.MqttClient | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-demo-'));

  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    client?.end(true);
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  it('raises and clears the CO HH alarm on MQTT and goes offline on SIGTERM', async () => {
    const mqttPort = await freePort();
    const simPort = await freePort();
    const opcuaPort = await freePortRange(3);
    const httpPort = await freePort();
    cli = startCli(['demo', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--sim-port', String(simPort), '--opcua-port', String(opcuaPort), '--speed', '4', '--data-dir', dataDir]);
    const scrape = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const sample = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(series + ' '))?.slice(series.length + 1) ?? NaN);

    const messages: { topic: string; payload: string; retain: boolean }[] = [];
    client = await waitFor(
      () =>
        new Promise<mqtt.MqttClient | undefined>((resolve) => {
          const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, connectTimeout: 1000 });
          c.once('connect', () => resolve(c));
          c.once('error', () => {
            c.end(true);
            resolve(undefined);
          });
        }),
      60_000,
      `the demo's MQTT broker on port ${mqttPort}\n${cli.output()}`,
    );
    client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await client.subscribeAsync('gw/demo-gw/#', { qos: 1 });

    const events = () => messages.filter((m) => m.topic === 'gw/demo-gw/events').map((m) => alarmEventSchema.parse(JSON.parse(m.payload)));
    const hh = (active: boolean) => (e: AlarmEvent) => e.alarmId === 'booster.co:HH' && e.active === active;

    await waitFor(() => cli!.output().includes(`[operator console]: http://127.0.0.1:${httpPort}/`), 30_000, `the HTTP address printed\n${cli.output()}`);
    const metricsBefore = await scrape();
    const raised = await waitFor(() => events().find(hh(true)), 30_000, `CO HH raised\n${cli.output()}`);
    expect(raised.state).toBe('UNACK');
    expect(raised.severity).toBe(3);
    expect(raised.limit).toBe(160);
    expect(raised.value as number).toBeGreaterThanOrEqual(160);
    expect(raised.message).toContain('加压机房一氧化碳');
    expect(raised.message).toContain('高高报');

    // /metrics during the demo: the named series move while it raises alarms.
    const metricsAfter = await scrape();
    for (const series of ['gateway_bus_readings_total', 'gateway_modbus_requests_total{device="gas-detectors"}', 'gateway_mqtt_alarm_events_published_total', 'gateway_journal_commit_duration_seconds_count']) {
      expect(sample(metricsAfter, series), series).toBeGreaterThan(sample(metricsBefore, series) || 0);
    }
    expect(sample(metricsAfter, 'gateway_alarm_events_total{severity="3"}')).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).json()).toMatchObject({ status: 'ready' });

    // A client that connects late sees the alarm's current state, retained (mosquitto_sub: an independent client).
    const { stdout } = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-t', 'gw/demo-gw/alarms/booster.co:HH', '-C', '1', '-W', '5']);
    const retained = alarmEventSchema.parse(JSON.parse(stdout));
    expect(retained.alarmId).toBe('booster.co:HH');
    expect(retained.seq).toBeGreaterThanOrEqual(raised.seq);

    const cleared = await waitFor(() => events().find(hh(false)), 30_000, `CO HH cleared\n${cli.output()}`);
    expect(cleared.state).toBe('RTN_UNACK');
    expect(cleared.seq).toBeGreaterThan(raised.seq);
    // Clears below the limit less the deadband (160 − 2); where on the fall a poll lands depends on timing.
    expect(cleared.value as number).toBeLessThan(158);

    // Dust collector alarms too, and readings on their topics, valid against the Reading schema.
    expect(events().some((e) => e.alarmId === 'dc1.hopper_temp:H' && e.active)).toBe(true);
    expect(events().some((e) => e.alarmId === 'dc1.airlock_fault:FAULT' && e.active)).toBe(true);
    const reading = messages.find((m) => m.topic === 'gw/demo-gw/readings/booster.co');
    expect(readingSchema.parse(JSON.parse(reading!.payload)).quality).toBe('Good');
    const seqs = events().map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(messages.some((m) => m.topic === 'gw/demo-gw/status' && m.payload === 'online')).toBe(true);

    // The OPC UA blast furnace: top-pressure excursion with a relief valve that does not open.
    const relief = await waitFor(() => events().find((e) => e.alarmId === 'bf1-relief-not-open:EXPR' && e.active), 30_000, `relief valve alarm\n${cli.output()}`);
    expect(relief.severity).toBe(4);
    expect(relief.message).toMatch(/^【重大】1#高炉炉顶压力超过联锁放散设定值，放散阀未打开: \d+(\.\d+)? kPa$/);
    expect(events().some((e) => e.alarmId.endsWith(':COMM') || e.alarmId.endsWith(':BAD_QUALITY'))).toBe(false);

    // The terminal shows the alarm in Chinese.
    expect(cli.output()).toMatch(/高高报: \d+(\.\d+)? ppm \(限值 160 ppm\)/);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await waitFor(() => messages.find((m) => m.topic === 'gw/demo-gw/status' && m.payload === 'offline'), 5000, 'offline status');
  }, 150_000);

  it('`npm start` (the README command) exits 0 on Ctrl-C, which reaches npm and the gateway both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-npm-start-'));
    const [mqttPort, simPort, opcuaPort] = [await freePort(), await freePort(), await freePortRange(3)];
    // detached: its own process group, as a terminal gives it; Ctrl-C signals the whole group.
    const npm = spawn('npm', ['start', '--', '--mqtt-port', String(mqttPort), '--http-port', String(await freePort()), '--sim-port', String(simPort), '--opcua-port', String(opcuaPort), '--data-dir', dir], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('gateway demo-gw started'), 60_000, `the demo to start\n${out}`);
      process.kill(-npm.pid!, 'SIGINT');
      const code = await exited;
      expect(code, out).toBe(0);
      expect(out).toContain('gateway stopped');
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group has already gone: nothing left to clean up
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
