// The enterprise fleet of bench:centre, in its own process so the centre's CPU figure is its own:
// N gateways, each its own MQTT client, sending the uplink envelope (realtime snapshots of P points
// every 10 s, heartbeats every 30 s, phases spread) and, at the burst time, one alarm each.
// Started by centre-bench.ts with: <brokerUrl> <n> <points> <seconds> <burstAtSeconds> [storm] and the codes on stdin.
// `storm`: a reconnect storm, as after a county-wide network outage: every gateway sends a snapshot
// at the same instant as soon as all are connected, then goes on at its own phase.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

const [url, nText, pointsText, secondsText, burstText, mode] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const STORM = mode === 'storm';
const N = Number(nText);
const POINTS = Number(pointsText);
const SECONDS = Number(secondsText);
const BURST_AT = Number(burstText) * 1000;
const SNAPSHOT_MS = 10_000;
const HEARTBEAT_MS = 30_000;

interface Fleet {
  sent: Record<string, number>;
  failed: number;
  alarms: number;
}

async function readCodes(): Promise<string[]> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split('\n').filter(Boolean);
}

async function main(): Promise<void> {
  const codes = await readCodes();
  const fleet: Fleet = { sent: {}, failed: 0, alarms: 0 };
  const clients: MqttClient[] = [];
  // Connect in slices: 2,000 simultaneous TLS-less connects are fine for mosquitto but not for a shared 2-core box.
  for (let i = 0; i < N; i += 100) {
    const slice = codes.slice(i, i + 100).map((code, j) => mqtt.connectAsync(url, { clientId: `bench-gw-${i + j}`, clean: true, reconnectPeriod: 1000 }));
    clients.push(...(await Promise.all(slice)));
  }
  process.send?.({ kind: 'connected' });
  const start = Date.now();
  const seq = new Array<number>(N).fill(0);
  const send = (i: number, type: string, items: unknown[]): void => {
    const code = codes[i]!;
    const gw = `gw-${i}`;
    const env = { dataId: randomUUID(), seq: ++seq[i]!, type, enterpriseCode: code, gatewayCode: gw, timestamp: Date.now(), historical: false, items };
    clients[i]!.publish(`safety/${code}/${gw}/${type}`, JSON.stringify(env), { qos: 1 }, (err) => {
      if (err) fleet.failed++;
      else fleet.sent[type] = (fleet.sent[type] ?? 0) + 1;
    });
  };
  const snapshot = (i: number): void => {
    const t = Date.now();
    const items = Array.from({ length: POINTS }, (_, p) => ({ pointCode: `P${p}`, value: Math.round(Math.random() * 1000) / 10, unit: 'ppm', quality: 'Good', time: t, alarmLevel: 0 }));
    send(i, 'realtime', items);
  };
  const timers: NodeJS.Timeout[] = [];
  if (STORM) for (let i = 0; i < N; i++) snapshot(i);
  for (let i = 0; i < N; i++) {
    const phaseS = Math.floor((i / N) * SNAPSHOT_MS);
    const phaseH = Math.floor((i / N) * HEARTBEAT_MS);
    timers.push(setTimeout(() => { send(i, 'heartbeat', []); timers.push(setInterval(() => send(i, 'heartbeat', []), HEARTBEAT_MS)); }, phaseH));
    timers.push(setTimeout(() => { snapshot(i); timers.push(setInterval(() => snapshot(i), SNAPSHOT_MS)); }, phaseS));
  }
  // The burst: every gateway raises one red alarm within one second, then clears it 5 s later.
  timers.push(
    setTimeout(() => {
      for (let i = 0; i < N; i++) {
        const t = Date.now();
        const item = { pointCode: 'P0', value: 999, unit: 'ppm', quality: 'Good', time: t, alarmLevel: 4, alarmType: 'HH', alarmActive: true, alarmMessage: '一氧化碳浓度超高高限', alarmKey: `k-${i}`, alarmStart: t, alarmState: 'UNACK' };
        setTimeout(() => {
          fleet.alarms++;
          send(i, 'alarm', [item]);
        }, Math.floor((i / N) * 1000));
        setTimeout(() => send(i, 'alarm', [{ ...item, value: 10, alarmLevel: 0, alarmActive: false, alarmState: 'RTN_UNACK', time: t + 5000 }]), 5000 + Math.floor((i / N) * 1000));
      }
    }, BURST_AT),
  );
  await new Promise((r) => setTimeout(r, Math.max(0, start + SECONDS * 1000 - Date.now())));
  for (const t of timers) clearTimeout(t);
  // Let the last PUBACKs come in.
  await new Promise((r) => setTimeout(r, 2000));
  await Promise.all(clients.map((c) => c.endAsync()));
  process.send?.({ kind: 'done', fleet });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
