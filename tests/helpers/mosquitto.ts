import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { connect } from 'node:net';
import { LoopbackServer, ServerProcess, freePort, tempDir } from './server-process.js';

export interface MosquittoOptions {
  /**
   * A TLS listener (mqtts) instead of plain MQTT: PEM files for the CA that signs client
   * certificates, the server certificate and its key. `requireCertificate`: clients must present a
   * certificate signed by cafile, and its CN becomes their username (use_identity_as_username).
   */
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean };
  /** username → password: a password_file (made with mosquitto_passwd) and no anonymous clients. */
  users?: Record<string, string>;
  /** An existing password_file and acl_file (no anonymous clients unless the acl file has a section for them). */
  passwordFile?: string;
  aclFile?: string;
}

/**
 * Mosquitto (Debian package mosquitto) on a free loopback port, config in a temp dir; anonymous and
 * plain MQTT unless `options` ask for TLS, client certificates or a password file.
 * Persistence is on (in the temp dir) so persistent sessions and their queued QoS 1 messages
 * survive stop() / restart(), as on a platform's production broker. `user` is the current user:
 * run as root, mosquitto would otherwise switch to user mosquitto and fail to write the temp dir.
 * No limit on queued messages per client (default 1000): a test must not lose messages to a slow
 * subscriber.
 */
export class MosquittoServer extends LoopbackServer {
  private constructor(
    port: number,
    process: ServerProcess,
    readonly tls = false,
  ) {
    super(port, process);
  }

  static async start(options: MosquittoOptions = {}): Promise<MosquittoServer> {
    const port = await freePort();
    const dir = tempDir('mosquitto-test-');
    const conf = join(dir, 'mosquitto.conf');
    const lines = [`listener ${port} 127.0.0.1`];
    const { tls, users } = options;
    if (tls) {
      lines.push(`cafile ${tls.cafile}`, `certfile ${tls.certfile}`, `keyfile ${tls.keyfile}`);
      if (tls.requireCertificate) lines.push('require_certificate true', 'use_identity_as_username true');
    }
    if (users) {
      const passwd = join(dir, 'passwd');
      Object.entries(users).forEach(([user, password], i) => {
        // -c creates the file (first user only), -b takes the password from the command line.
        execFileSync('/usr/bin/mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwd, user, password], { stdio: 'pipe' });
      });
      lines.push(`password_file ${passwd}`);
    }
    if (options.passwordFile) lines.push(`password_file ${options.passwordFile}`);
    if (options.aclFile) lines.push(`acl_file ${options.aclFile}`);
    const anonymous = !users && !options.passwordFile && !tls?.requireCertificate;
    lines.push(`allow_anonymous ${anonymous}`, 'persistence true', `persistence_location ${dir}/`, `user ${userInfo().username}`, 'max_queued_messages 0', 'log_dest stderr', 'log_type error', ...(tls || users || options.passwordFile ? ['log_type warning'] : []), '');
    writeFileSync(conf, lines.join('\n'));
    const proc = new ServerProcess('mosquitto', '/usr/sbin/mosquitto', ['-c', conf], () => canConnect(port), dir);
    await proc.start();
    return new MosquittoServer(port, proc, tls !== undefined);
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  /** Mosquitto's own log (errors and warnings: failed TLS handshakes, refused logins). */
  get log(): string {
    return this.process.log;
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
