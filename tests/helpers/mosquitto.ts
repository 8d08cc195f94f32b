import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { connect } from 'node:net';
import { ServerProcess, freePort, tempDir } from './server-process.js';

/**
 * Mosquitto (Debian package mosquitto) on a free loopback port, anonymous, config in a temp dir.
 * Persistence is on (in the temp dir) so persistent sessions and their queued QoS 1 messages
 * survive stop() / restart(), as on a platform's production broker. `user` is the current user:
 * run as root, mosquitto would otherwise switch to user mosquitto and fail to write the temp dir.
 * No limit on queued messages per client (default 1000): a test must not lose messages to a slow
 * subscriber.
 */
export class MosquittoServer {
  private constructor(
    readonly port: number,
    readonly process: ServerProcess,
  ) {}

  static async start(): Promise<MosquittoServer> {
    const port = await freePort();
    const dir = tempDir('mosquitto-test-');
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, `user ${userInfo().username}`, 'max_queued_messages 0', 'log_dest stderr', 'log_type error', ''].join('\n'));
    const proc = new ServerProcess('mosquitto', '/usr/sbin/mosquitto', ['-c', conf], () => canConnect(port), dir);
    await proc.start();
    return new MosquittoServer(port, proc);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  start(): Promise<void> {
    return this.process.start();
  }

  restart(): Promise<void> {
    return this.process.restart();
  }

  dispose(): Promise<void> {
    return this.process.dispose();
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
