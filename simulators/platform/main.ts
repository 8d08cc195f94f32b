import { parseArgs } from 'node:util';
import { PlatformSimulator, type FailureMode } from './platform-simulator.js';

/**
 * Runs the platform simulator from the command line:
 *   tsx simulators/platform/main.ts --http-port 18080 --appid demo --appsecret s3cret \
 *     --key 0123456789abcdeffedcba9876543210 --iv fedcba98765432100123456789abcdef --mqtt mqtt://127.0.0.1:1883
 * Type ok | http500 | reject | refuse | slow on stdin to change how it answers.
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
  },
});

const sim = new PlatformSimulator({
  http: { port: Number(values['http-port']), path: values.path, appid: values.appid, appsecret: values.appsecret, key: values.key, iv: values.iv },
  ...(values.mqtt ? { mqtt: { url: values.mqtt, topic: values.topic } } : {}),
});
await sim.start();
process.stderr.write(`平台模拟器已启动: HTTP ${sim.url}${values.mqtt ? `, MQTT ${values.mqtt} ${values.topic}` : ''}\n`);
sim.onArrival((a) => {
  const e = a.envelope;
  process.stdout.write(`${new Date(a.receivedAt).toISOString()} ${a.profile} seq=${e.seq} type=${e.type} historical=${e.historical} items=${e.items.length} dataId=${e.dataId}\n`);
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (line: string) => {
  const mode = line.trim() as FailureMode;
  if (['ok', 'http500', 'reject', 'refuse', 'slow'].includes(mode)) {
    sim.setMode(mode).then(
      () => process.stderr.write(`mode: ${mode}\n`),
      (err: unknown) => process.stderr.write(`mode ${mode} failed: ${String(err)}\n`),
    );
  } else if (mode) process.stderr.write('modes: ok | http500 | reject | refuse | slow\n');
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
