/**
 * Runs the three PLC simulators on their own, for trying `browse` or a client such as UaExpert:
 *   npx tsx simulators/opcua/run.ts [--port 4841] [--host 127.0.0.1] [--pki <dir>] [--scenarios]
 * With --scenarios the demo timeline runs too. Stop with Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { consoleLogger } from '../../gateway/core/logger.js';
import { DEMO_BASE_PORT, startDemoPlcSimulators } from './index.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string' }, pki: { type: 'string' }, scenarios: { type: 'boolean' } },
  strict: true,
});
const port = values.port ? Number(values.port) : DEMO_BASE_PORT;
if (!Number.isInteger(port) || port < 0 || port > 65533) throw new Error(`--port must be a port number, got ${values.port}`);
const log = consoleLogger('info', 'opcua-sim');
const sims = await startDemoPlcSimulators({
  port,
  ...(values.host ? { host: values.host } : {}),
  ...(values.pki ? { pkiDir: values.pki } : {}),
  log,
  ...(values.scenarios ? {} : { timeline: [] }),
});
for (const h of Object.values(sims.plcs)) log.info(`${h.title}: ${h.endpointUrl}`);
const shutdown = () =>
  void sims.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error('模拟器停止失败 [stop failed]', { error: err });
      process.exit(1);
    },
  );
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
