/**
 * The benchmark's OPC UA server, run as its own process so the gateway's CPU and memory are
 * measured alone:  tsx simulators/opcua/bench-server.ts --items 5000 --tick 250 --pki <dir>
 * Prints `READY <port>` on stdout when listening; exits on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { BenchPlc } from './bench-plc.js';
import { PlcServer } from './plc-server.js';

const { values } = parseArgs({ options: { items: { type: 'string' }, tick: { type: 'string' }, pki: { type: 'string' } }, strict: true });
const items = Number(values.items ?? 5000);
const tickMs = Number(values.tick ?? 250);
if (!values.pki) throw new Error('--pki <dir> is required');
const server = new PlcServer(new BenchPlc(items), { pkiDir: values.pki, tickMs, port: 0 });
await server.start();
process.stdout.write(`READY ${server.port}\n`);
// How many changes the server actually produced: on a loaded machine its tick can fall behind, and
// the benchmark must tell a slow server from a slow client.
setInterval(() => process.stdout.write(`CHANGES ${Date.now()} ${server.changesPublished}\n`), 1000).unref();
process.on('SIGTERM', () =>
  void server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  ),
);
