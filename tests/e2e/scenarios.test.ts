import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { alarmEventSchema, type AlarmEvent } from '../../gateway/core/alarm-event.js';
import { readingSchema } from '../../gateway/core/reading.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startCli, type CliProcess } from '../helpers/cli.js';

/**
 * The pack checks that only the real transports can show, driven by their demo scenario through the
 * real CLI (`demo --scenario <name>`, simulators/modbus/scenarios/): the confined-space detector
 * falling silent during an entry (MONITOR), a fixed CO detector that stops reporting (STALE), and the
 * water-cooled-element interlocks that fail to act (tilt, electrode power-off) or are switched off.
 * The scripts run at 2× speed; the alarm delays stay in real time, which the scripts' windows allow.
 */
const SPEED = 2;

interface Run {
  cli: CliProcess;
  client: mqtt.MqttClient;
  messages: { topic: string; payload: string; at: number }[];
  dataDir: string;
}

let current: Run | undefined;

afterEach(async () => {
  const run = current;
  current = undefined;
  if (!run) return;
  run.client.end(true);
  if (run.cli.child.exitCode === null) {
    run.cli.child.kill('SIGTERM');
    await Promise.race([run.cli.exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (run.cli.child.exitCode === null) run.cli.child.kill('SIGKILL');
  }
  rmSync(run.dataDir, { recursive: true, force: true });
});

async function startScenario(name: string): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), `gw-scenario-${name}-`));
  const mqttPort = await freePort();
  const cli = startCli(['demo', '--scenario', name, '--mqtt-port', String(mqttPort), '--http-port', String(await freePort()), '--sim-port', String(await freePort()), '--speed', String(SPEED), '--data-dir', dataDir]);
  const client = await waitFor(
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
    `the scenario's MQTT broker on port ${mqttPort}\n${cli.output()}`,
  );
  const messages: Run['messages'] = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString(), at: messages.length }));
  await client.subscribeAsync('gw/demo-gw/#', { qos: 1 });
  current = { cli, client, messages, dataDir };
  return current;
}

const events = (run: Run) => run.messages.filter((m) => m.topic === 'gw/demo-gw/events').map((m) => ({ at: m.at, e: alarmEventSchema.parse(JSON.parse(m.payload)) }));

async function raised(run: Run, alarmId: string, timeoutMs = 120_000): Promise<{ at: number; e: AlarmEvent }> {
  return waitFor(() => events(run).find(({ e }) => e.alarmId === alarmId && e.active && e.state === 'UNACK'), timeoutMs, `${alarmId} raised\n${run.cli.output().slice(-4000)}`);
}

/** Index of the first Good reading of a point on its MQTT readings topic (it came through the broker). */
const firstGoodReading = (run: Run, point: string) =>
  run.messages.find((m) => m.topic === `gw/demo-gw/readings/${point}` && readingSchema.parse(JSON.parse(m.payload)).quality === 'Good')?.at;

describe('equipment-pack scenarios end to end', () => {
  it('confined-space: the portable detector falls silent while people are inside → MONITOR', async () => {
    const run = await startScenario('confined-space');
    expect(run.cli.output()).toContain('情景 confined-space');
    const { at, e } = await raised(run, 'cs1.entry:MONITOR');
    // The detector did report over MQTT before it went silent: this is silence, not a missing source.
    const heard = firstGoodReading(run, 'cs1.o2');
    expect(heard, 'a Good cs1.o2 reading before the MONITOR alarm').toBeDefined();
    expect(heard!).toBeLessThan(at);
    expect(e.severity).toBe(4);
    expect(e.condition).toBe('MONITOR');
    expect(e.message).toContain('1#煤气管道有限空间');
    expect(e.message).toContain('作业中监测中断');
    expect(e.basis).toContain('《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第十三条(二)');
    expect(e.basis).toContain('《工贸企业有限空间作业安全规定》(应急管理部令第13号)');
    // The console line on the terminal is Chinese too.
    expect(run.cli.output()).toContain('作业中监测中断');
  }, 180_000);

  it('co-detectors: the wireless detector above the gas-holder piston stops reporting → STALE, clears when it reports again', async () => {
    const run = await startScenario('co-detectors');
    const { at, e } = await raised(run, 'gh.piston_co:STALE');
    expect(firstGoodReading(run, 'gh.piston_co'), 'a Good gh.piston_co reading before the STALE alarm').toBeLessThan(at);
    expect(e.severity).toBe(3);
    expect(e.message).toContain('3#煤气柜活塞上部(煤气柜活塞上部)固定式一氧化碳报警器数据中断');
    expect(e.message).toContain('值守人员将收不到报警');
    expect(e.basis).toBe('《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(六)');
    // The script lets it report again after 30 s: the alarm returns to normal.
    const cleared = await waitFor(() => events(run).find((x) => x.at > at && x.e.alarmId === 'gh.piston_co:STALE' && !x.e.active), 60_000, `STALE cleared\n${run.cli.output().slice(-4000)}`);
    expect(cleared.e.state).toBe('RTN_UNACK');
  }, 180_000);

  it('oxygen-lance: tilt and electrode power-off interlocks that fail to act on demand, and a power-off interlock switched off', async () => {
    const run = await startScenario('oxygen-lance');
    const power = (await raised(run, 'eaf1.power-off-demand:INTERLOCK')).e;
    expect(power.severity).toBe(4);
    expect(power.message).toContain('1#电弧炉(电弧炉)水冷元件漏水/超温而电极自动断电和升起未动作');
    expect(power.basis).toBe('《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(四)');
    const tilt = (await raised(run, 'bof1.tilt-demand:INTERLOCK')).e;
    expect(tilt.severity).toBe(4);
    expect(tilt.message).toContain('1#转炉(转炉)水冷元件漏水/超温而炉体倾动未动作');
    expect(tilt.basis).toBe('《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(四)');
    const bypass = (await raised(run, 'eaf1.power-off-armed:BYPASS')).e;
    expect(bypass.severity).toBe(4);
    expect(bypass.message).toContain('1#电弧炉(电弧炉)出水温度/流量差报警与电极自动断电和升起联锁未投入');
    expect(bypass.basis).toContain('第四条(四)');
  }, 180_000);
});
