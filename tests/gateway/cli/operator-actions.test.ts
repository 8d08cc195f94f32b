import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterServer } from '../../../simulators/modbus/register-server.js';
import { freePort, waitFor } from '../../helpers/ports.js';
import { REPO_ROOT, startCli, type CliProcess } from '../../helpers/cli.js';
import { controlResponseSchema, type AlarmsResponse } from '../../../gateway/control/protocol.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { SqliteAlarmJournal } from '../../../gateway/alarms/sqlite-journal.js';

const exec = promisify(execFile);

/** `npm run gateway -- <args>` as a separate process; resolves with exit code and output. */
async function gatewayCli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'gateway/cli/main.ts', ...args], { cwd: REPO_ROOT });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

function configYaml(modbusPort: number, mqttPort: number, dataDir: string, hh = 160): string {
  return `
gateway: { id: ops-gw, enterprise: { name: 测试钢铁, creditCode: 91350100M000100Y43 }, summaryInterval: 0 }
mqtt: { port: ${mqttPort} }
storage: { dataDir: ${dataDir} }
devices:
  - id: plc
    type: modbus-tcp
    host: 127.0.0.1
    port: ${modbusPort}
    pollInterval: 100ms
    points:
      - { id: co, name: 加压机房一氧化碳, unit: ppm, area: gas, table: holding, address: 0, limits: { H: 24, HH: ${hh} } }
`;
}

describe('operator actions and hot reload on a running gateway (CLI → control socket)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ops-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'plant.yaml');
  const sim = new RegisterServer();
  let gw: CliProcess;
  let modbusPort = 0;
  let mqttPort = 0;

  const list = async () => controlResponseSchema.parse(JSON.parse((await gatewayCli(['alarms', '--all', '--json', '--data-dir', dataDir])).out)) as AlarmsResponse;
  const stateOf = async (alarmId: string) => {
    const res = await list();
    return res.ok ? res.alarms.find((a) => a.alarmId === alarmId)?.state : undefined;
  };

  beforeAll(async () => {
    modbusPort = await sim.start();
    mqttPort = await freePort();
    sim.bank(1).write('holding', 0, 200, 'uint16');
    writeFileSync(configFile, configYaml(modbusPort, mqttPort, dataDir));
    gw = startCli(['run', '--config', configFile]);
    await waitFor(async () => (await gatewayCli(['alarms', '--json', '--data-dir', dataDir])).code === 0 && (await stateOf('co:HH')) === 'UNACK', 30_000, `CO HH raised\n${gw.output()}`);
  }, 60_000);

  afterAll(async () => {
    gw.child.kill('SIGTERM');
    await gw.exited;
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges, shelves with a maximum, and audits every action under the OS user the gateway found', async () => {
    // A claimed user is refused outright, not taken.
    const forged = await gatewayCli(['ack', 'co:HH', '--user', '张三', '--data-dir', dataDir]);
    expect(forged.code).toBe(1);
    expect(forged.out).toMatch(/--user is no longer accepted/);
    expect(await stateOf('co:HH')).toBe('UNACK');

    // The test runs as root, which control.trustedOsUsers trusts by default: it acts as os:root.
    const ack = await gatewayCli(['ack', 'co:HH', '--comment', '已派人检查', '--data-dir', dataDir]);
    expect(ack.code).toBe(0);
    expect(ack.out).toContain('报警已确认');
    expect(await stateOf('co:HH')).toBe('ACKED');

    const tooLong = await gatewayCli(['shelve', 'co:H', '--reason', '检修', '--for', '9h', '--data-dir', dataDir]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.out).toMatch(/maximum of 480 min/);

    expect((await gatewayCli(['shelve', 'co:H', '--reason', '检修', '--for', '30m', '--data-dir', dataDir])).code).toBe(0);
    expect(await stateOf('co:H')).toBe('SHELVED');
    expect((await gatewayCli(['disable', 'co:BAD_QUALITY', '--reason', '传感器更换', '--data-dir', dataDir])).code).toBe(0);
    expect(await stateOf('co:BAD_QUALITY')).toBe('OUT_OF_SERVICE');
    expect((await gatewayCli(['enable', 'co:BAD_QUALITY', '--data-dir', dataDir])).code).toBe(0);
    expect((await gatewayCli(['unshelve', 'co:H', '--data-dir', dataDir])).code).toBe(0);
    expect((await gatewayCli(['ack', '--area', 'gas', '--data-dir', dataDir])).code).toBe(0);
    expect(await stateOf('co:H')).toBe('ACKED');

    // The audit log is in the journal (read-only here: the gateway owns writing).
    const db = openDatabase(join(dataDir, 'gateway.db'));
    const audit = new SqliteAlarmJournal(db).auditLog().map((a) => [a.action, a.user, a.alarmId, a.before, a.after]);
    db.close();
    expect(audit).toEqual([
      ['ACK', 'os:root', 'co:HH', 'UNACK', 'ACKED'],
      ['SHELVE', 'os:root', 'co:H', 'UNACK', 'SHELVED'],
      ['OUT_OF_SERVICE', 'os:root', 'co:BAD_QUALITY', 'NORMAL', 'OUT_OF_SERVICE'],
      ['IN_SERVICE', 'os:root', 'co:BAD_QUALITY', 'OUT_OF_SERVICE', 'NORMAL'],
      ['UNSHELVE', 'os:root', 'co:H', 'SHELVED', 'UNACK'],
      ['ACK', 'os:root', 'co:H', 'UNACK', 'ACKED'],
    ]);
  }, 120_000);

  it('applies an edited limit without restart, keeps unchanged alarms, and rejects a bad edit', async () => {
    // HH moves from 160 to 250: the HH alarm is reset and stays normal at 200 ppm; H keeps its state.
    writeFileSync(configFile, configYaml(modbusPort, mqttPort, dataDir, 250));
    await waitFor(() => gw.output().includes('config reloaded'), 10_000, `reload\n${gw.output()}`);
    await waitFor(async () => (await stateOf('co:HH')) === 'NORMAL', 10_000, 'HH reset');
    expect(await stateOf('co:H')).toBe('ACKED');

    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('limits:', 'limts:'));
    await waitFor(() => gw.output().includes('config edit rejected'), 10_000, `rejection\n${gw.output()}`);
    // Off a terminal the log is JSON lines: the message is the `msg` of one of them.
    const messages = gw
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.find((m) => m.includes('config edit rejected'))).toContain('unknown key "limts" (did you mean "limits"?)');
    // Still running on the previous config: an alarm at the old limit of 250 still works.
    sim.bank(1).write('holding', 0, 260, 'uint16');
    await waitFor(async () => (await stateOf('co:HH')) === 'UNACK', 10_000, 'HH at 260 ppm with the running config');
  }, 60_000);
});
