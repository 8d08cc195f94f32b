import { parseArgs } from 'node:util';
import { FAILURE_MODES, PlatformSimulator, type FailureMode } from './platform-simulator.js';

/**
 * Runs the platform simulator from the command line:
 *   tsx simulators/platform/main.ts --http-port 18080 --appid demo --appsecret s3cret \
 *     --key 0123456789abcdeffedcba9876543210 --iv fedcba98765432100123456789abcdef --mqtt mqtt://127.0.0.1:1883 \
 *     --steel-port 18081 --steel-app-key demo-key --steel-app-secret demo-secret \
 *     --tcp-port 18082 --tcp-app-id demo-app --tcp-district 320106 --tcp-key 0123456789abcdef --tcp-iv abcdef9876543210
 * Type ok | http500 | reject | refuse | slow | drop on stdin to change how it answers;
 * `warn <title>` issues a warning (预警) to --enterprise / --gateway (MQTT and the poll endpoints),
 * `warnings` lists every warning issued and whether it was answered (feedback), `dangers` the
 * hidden-danger records on file.
 */
const { values } = parseArgs({
  options: {
    'http-port': { type: 'string', default: '18080' },
    path: { type: 'string', default: '/api/data' },
    appid: { type: 'string', default: 'demo-appid' },
    appsecret: { type: 'string', default: 'demo-appsecret' },
    key: { type: 'string', default: '0123456789abcdeffedcba9876543210' },
    iv: { type: 'string', default: 'fedcba98765432100123456789abcdef' },
    mqtt: { type: 'string' },
    topic: { type: 'string', default: 'safety/#' },
    'steel-port': { type: 'string' },
    'steel-app-key': { type: 'string', default: 'demo-app-key' },
    'steel-app-secret': { type: 'string', default: 'demo-app-secret' },
    'steel-token-ttl': { type: 'string', default: '300' },
    'tcp-port': { type: 'string' },
    'tcp-app-id': { type: 'string', default: 'demo-app-id' },
    'tcp-district': { type: 'string', default: '320106' },
    'tcp-key': { type: 'string', default: '0123456789abcdef' },
    'tcp-iv': { type: 'string', default: 'abcdef9876543210' },
    enterprise: { type: 'string', default: '91350100M000100Y43' },
    gateway: { type: 'string', default: 'gw-demo' },
  },
});

const sim = new PlatformSimulator({
  http: { port: Number(values['http-port']), path: values.path, appid: values.appid, appsecret: values.appsecret, key: values.key, iv: values.iv },
  ...(values.mqtt ? { mqtt: { url: values.mqtt, topic: values.topic } } : {}),
  ...(values['steel-port'] ? { steel: { port: Number(values['steel-port']), appKey: values['steel-app-key'], appSecret: values['steel-app-secret'], tokenTtlS: Number(values['steel-token-ttl']) } } : {}),
  ...(values['tcp-port'] ? { tcp: { port: Number(values['tcp-port']), appId: values['tcp-app-id'], districtCode: values['tcp-district'], key: values['tcp-key'], iv: values['tcp-iv'] } } : {}),
});
await sim.start();
const endpoints = [`HTTP ${sim.url}`, values.mqtt ? `MQTT ${values.mqtt} ${values.topic}` : '', sim.steel ? `钢铁平台 REST ${sim.steel.url}` : '', sim.tcp ? `TCP 127.0.0.1:${sim.tcp.port}` : ''].filter(Boolean);
process.stderr.write(`平台模拟器已启动: ${endpoints.join(', ')}\n`);
sim.onArrival((a) => {
  const e = a.envelope;
  process.stdout.write(`${new Date(a.receivedAt).toISOString()} ${a.profile} seq=${e.seq} type=${e.type} historical=${e.historical} items=${e.items.length} dataId=${e.dataId}\n`);
});
process.stdin.setEncoding('utf8');
let warningNo = 0;
function warningCommand(line: string): boolean {
  const [cmd, ...rest] = line.split(/\s+/);
  if (cmd === 'warn') {
    const warningId = `SIM-${Date.now()}-${++warningNo}`;
    const title = rest.join(' ') || '监测数据超限，请核查处置并反馈';
    sim
      .issueWarning({ warningId, enterpriseCode: values.enterprise, gatewayCode: values.gateway, issuer: '平台模拟器监测中心', issuedAt: Date.now(), level: 3, kind: 'manual', title, content: title, feedbackDeadline: Date.now() + 86_400_000 })
      .then(
        () => process.stderr.write(`warning ${warningId} issued\n`),
        (err: unknown) => process.stderr.write(`warn failed: ${String(err)}\n`),
      );
    return true;
  }
  if (cmd === 'warnings') {
    for (const s of sim.warnings.report()) {
      const last = s.feedback.at(-1);
      process.stdout.write(`${s.warning.warningId} ${s.state} receipt=${s.receiptAt ? new Date(s.receiptAt).toISOString() : '-'} ${s.warning.title}${last ? ` — ${last.handledBy}: ${last.content}` : ''}\n`);
    }
    return true;
  }
  if (cmd === 'dangers') {
    for (const d of sim.warnings.dangers.values()) process.stdout.write(`${d.dangerId} rev=${d.revision} DANGER_STATE=${d.stateCode} via ${d.profile}\n`);
    return true;
  }
  return false;
}

process.stdin.on('data', (chunk: string) => {
  // Lines typed before start-up finished arrive in one chunk.
  for (const line of chunk.split('\n')) command(line.trim());
});

function command(line: string): void {
  if (warningCommand(line)) return;
  const mode = line as FailureMode;
  if (FAILURE_MODES.includes(mode)) {
    sim.setMode(mode).then(
      () => process.stderr.write(`mode: ${mode}\n`),
      (err: unknown) => process.stderr.write(`mode ${mode} failed: ${String(err)}\n`),
    );
  } else if (mode) process.stderr.write(`modes: ${FAILURE_MODES.join(' | ')}; warn <title> | warnings | dangers\n`);
}
process.on('SIGINT', () =>
  void sim.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  ),
);
