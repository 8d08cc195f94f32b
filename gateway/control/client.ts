import { connect } from 'node:net';
import { join } from 'node:path';
import { CONTROL_SOCKET, controlResponseSchema, type ControlRequest, type ControlResponse } from './protocol.js';

/** Sends one request to the gateway running on `dataDir` and returns its response. */
export async function sendControl(dataDir: string, request: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  const path = join(dataDir, CONTROL_SOCKET);
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from the gateway on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `no gateway running with data dir ${dataDir} (${path} not found)` : e.message));
    });
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(controlResponseSchema.parse(JSON.parse(buf.slice(0, nl))));
      } catch (e) {
        reject(new Error(`malformed answer from the gateway: ${(e as Error).message}`));
      }
    });
    sock.write(JSON.stringify(request) + '\n');
  });
}
