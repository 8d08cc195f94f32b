import { parseArgs } from 'node:util';
import { FAILURE_MODES, PlatformSimulator, type FailureMode } from './platform-simulator.js';

/**
 * Runs the platform simulator from the command line:
 *   tsx simulators/platform/main.ts --http-port 18080 --appid demo --appsecret s3cret \
 *     --key 0123456789abcdeffedcba9876543210 --iv fedcba98765432100123456789abcdef --mqtt mqtt://127.0.0.1:1883 \
 *     --steel-port 18081 --steel-app-key demo-key --steel-app-secret demo-secret \
 *     --tcp-port 18082 --tcp-app-id demo-app --tcp-district 320106 --tcp-key 0123456789abcdef --tcp-iv abcdef9876543210
 * Type ok | http500 | reject | refuse | slow | drop on stdin to change how it answers.
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
process.stdin.on('data', (line: string) => {
  const mode = line.trim() as FailureMode;
  if (FAILURE_MODES.includes(mode)) {
    sim.setMode(mode).then(
      () => process.stderr.write(`mode: ${mode}\n`),
      (err: unknown) => process.stderr.write(`mode ${mode} failed: ${String(err)}\n`),
    );
  } else if (mode) process.stderr.write(`modes: ${FAILURE_MODES.join(' | ')}\n`);
});
process.on('SIGINT', () =>
  void sim.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  ),
);
