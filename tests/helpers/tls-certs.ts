import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './server-process.js';

/** A key and the certificate for it, as PEM file paths. */
export interface CertFiles {
  cert: string;
  key: string;
}

/**
 * A throwaway PKI for TLS tests, made with the `openssl` command line (Debian package openssl) in a
 * temp dir: a trusted CA, a server certificate for 127.0.0.1 (IP SAN: Node checks an IP address
 * against IP SANs only, never against the CN), client certificates signed by the CA, and a second,
 * untrusted CA with its own server certificate for 127.0.0.1 for negative tests. EC P-256 keys,
 * valid for two days: generating all of it takes well under a second.
 */
export class TestPki {
  /** The CA the gateway / simulator trust (caFile). */
  readonly ca: CertFiles;
  /** Server certificate for 127.0.0.1 signed by `ca`. */
  readonly server: CertFiles;
  /** A CA nobody trusts, and a server certificate for 127.0.0.1 signed by it. */
  readonly untrustedCa: CertFiles;
  readonly untrustedServer: CertFiles;

  private constructor(readonly dir: string) {
    this.ca = this.makeCa('ca', 'Gateway Test CA');
    this.server = this.issue('server', '127.0.0.1', this.ca, 'serverAuth', 'IP:127.0.0.1');
    this.untrustedCa = this.makeCa('untrusted-ca', 'Untrusted Test CA');
    this.untrustedServer = this.issue('untrusted-server', '127.0.0.1', this.untrustedCa, 'serverAuth', 'IP:127.0.0.1');
  }

  static create(): TestPki {
    return new TestPki(tempDir('tls-pki-'));
  }

  /** A client certificate (extendedKeyUsage clientAuth) with CN `cn`, signed by the trusted CA. */
  issueClient(cn: string): CertFiles {
    return this.issue(`client-${cn.replace(/[^A-Za-z0-9_.-]/g, '_')}`, cn, this.ca, 'clientAuth');
  }

  /** Another server certificate signed by the trusted CA, e.g. for a host name: `san` 'DNS:platform.example.test'. */
  issueServer(name: string, cn: string, san: string): CertFiles {
    return this.issue(name, cn, this.ca, 'serverAuth', san);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private makeCa(name: string, cn: string): CertFiles {
    const files = this.paths(name);
    openssl(this.dir, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return files;
  }

  private issue(name: string, cn: string, ca: CertFiles, usage: 'serverAuth' | 'clientAuth', san?: string): CertFiles {
    const files = this.paths(name);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${usage}`, ...(san ? [`subjectAltName=${san}`] : []), ''].join('\n'));
    openssl(this.dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.key, '-out', csr, '-subj', `/CN=${cn}`]);
    openssl(this.dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomSerial()}`, '-days', '2', '-extfile', ext, '-out', files.cert]);
    return files;
  }

  private paths(name: string): CertFiles {
    return { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
  }
}

function randomSerial(): string {
  return Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16)).join('').replace(/^0/, '1');
}

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as Error & { stderr?: Buffer };
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${e.stderr?.toString() ?? e.message}`, { cause: err });
  }
}
