import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

/**
 * The gateway's OPC UA PKI folder (the node-opcua / UA-.NET layout):
 *   own/certs, own/private   the gateway's application certificate, created on first start
 *   trusted/certs            server certificates the engineer has trusted
 *   rejected                 server certificates seen but not trusted (`opcua-trust` moves them)
 *   issuers/certs            CA certificates of CA-signed servers
 */
export async function openClientPki(pkiDir: string, trustAll: boolean): Promise<OPCUACertificateManager> {
  const rootFolder = resolve(pkiDir);
  mkdirSync(rootFolder, { recursive: true });
  const cm = new OPCUACertificateManager({ rootFolder, automaticallyAcceptUnknownCertificate: trustAll });
  await cm.initialize();
  return cm;
}

/** DER bytes of a PEM or DER certificate file's first certificate. */
export function certificateDer(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : bytes;
}

/** SHA-1 thumbprint in lower-case hex, as OPC UA tools show it. */
export function thumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

export interface CertificateSummary {
  file: string;
  thumbprint: string;
  subject: string;
  validTo: string;
  applicationUri: string | undefined;
}

export function describeCertificate(file: string, der: Buffer): CertificateSummary {
  let subject = '?';
  let validTo = '?';
  let applicationUri: string | undefined;
  try {
    const x = new X509Certificate(der);
    subject = x.subject.replace(/\n/g, ', ');
    validTo = x.validTo;
    applicationUri = /URI:([^,\s]+)/.exec(x.subjectAltName ?? '')?.[1];
  } catch {
    // Unparseable certificates are still listed by thumbprint.
  }
  return { file, thumbprint: thumbprint(der), subject, validTo, applicationUri };
}

/** Certificates in one PKI sub-folder (rejected, trusted/certs), newest first. */
export function listCertificates(folder: string): CertificateSummary[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => /\.(pem|der|crt|cer)$/i.test(n));
  } catch {
    return [];
  }
  return names
    .map((n) => join(folder, n))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .map((f) => describeCertificate(f, certificateDer(readFileSync(f))));
}

export function rejectedFolder(pkiDir: string): string {
  return join(resolve(pkiDir), 'rejected');
}

export function trustedFolder(pkiDir: string): string {
  return join(resolve(pkiDir), 'trusted', 'certs');
}

/** The command an engineer runs to trust a server whose certificate was rejected. */
export function trustCommand(pkiDir: string, thumb: string): string {
  return `npm run gateway -- opcua-trust --pki ${pkiDir} --thumbprint ${thumb}`;
}
