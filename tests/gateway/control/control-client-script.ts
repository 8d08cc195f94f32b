/**
 * Run by os-identity.test.ts as another OS user: one control session with the requests given as JSON
 * in argv[2] (`{ dataDir, socket, requests }`); prints `{ identity, answers }` or `{ error }` as JSON.
 * Requests are sent as given, forged fields included: the point is what the gateway makes of them.
 */
import { controlSession } from '../../../gateway/control/client.js';
import type { ControlRequest } from '../../../gateway/control/protocol.js';

const { dataDir, socket, requests } = JSON.parse(process.argv[2]!) as { dataDir: string; socket: string; requests: ControlRequest[] };
try {
  console.log(JSON.stringify(await controlSession(dataDir, requests, { socket, timeoutMs: 20_000 })));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
}
