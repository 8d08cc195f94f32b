import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmEventSchema, type AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { validateConfig } from '../../../gateway/config/load.js';
import { usccCheckChar } from '../../../gateway/config/uscc.js';
import { Gateway } from '../../../gateway/runtime/gateway.js';
import { MQTT_ALARM_IDS } from '../../../gateway/sinks/mqtt-publisher-service.js';
import { freePort, waitFor } from '../../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-retained-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function gateway(mqttPort: number): Promise<Gateway> {
  const parsed = validateConfig({
    gateway: { id: 'gw-retained', enterprise: { name: '甲钢铁有限公司', creditCode: '91350100M000100Y4' + usccCheckChar('91350100M000100Y4')! }, summaryInterval: 0 },
    // Anonymous clients read the gateway's own tree: an HMI's view.
    mqtt: { port: mqttPort, allowAnonymous: true },
    storage: { dataDir: join(dir, 'data') },
    // A PLC nobody answers for: the test is about the retained alarm states.
    devices: [{ id: 'plc', type: 'modbus-tcp', host: '127.0.0.1', port: await freePort(), pollInterval: '1s', points: [{ id: 'co', name: '一氧化碳', unit: 'ppm', table: 'holding', address: 0 }] }],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const gw = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
  await gw.start();
  return gw;
}

/** The retained states an HMI connecting now receives. */
async function retainedStates(port: number): Promise<Map<string, AlarmEvent>> {
  const states = new Map<string, AlarmEvent>();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
  client.on('message', (_topic, payload, packet) => {
    if (packet.retain) {
      const e = alarmEventSchema.parse(JSON.parse(payload.toString()));
      states.set(e.alarmId, e);
    }
  });
  await client.subscribeAsync('gw/gw-retained/alarms/#', { qos: 1 });
  // Retained messages come right after SUBACK; give them a moment to arrive.
  await new Promise((r) => setTimeout(r, 500));
  await client.endAsync();
  return states;
}

describe('retained alarm states after a restart', () => {
  it("a service's own alarm (MQTT link) keeps its retained state across a restart, like a point's", async () => {
    const port = await freePort();
    const first = await gateway(port);
    let shelved: AlarmEvent;
    try {
      first.alarms.shelve(MQTT_ALARM_IDS.disconnected, 'zhangsan', { durationMs: 3_600_000, reason: '交换机检修' });
      shelved = first.alarms.latestEvents().find((e) => e.alarmId === MQTT_ALARM_IDS.disconnected)!;
      expect(shelved.state).toBe('SHELVED');
      await waitFor(async () => (await retainedStates(port)).get(MQTT_ALARM_IDS.disconnected)?.seq === shelved.seq, 5000, 'retained before the restart');
    } finally {
      await first.stop();
    }
    // The embedded broker starts empty: whatever an HMI sees now, the restarted gateway published.
    const second = await gateway(port);
    try {
      const states = await retainedStates(port);
      expect(states.get(MQTT_ALARM_IDS.disconnected)).toEqual(shelved);
      expect(second.alarms.get(MQTT_ALARM_IDS.disconnected).state).toBe('SHELVED');
    } finally {
      await second.stop();
    }
  });
});
