import { readFileSync, rmSync } from 'node:fs';
import { discoverEndpoints } from './connection.js';
import { certificateDer, describeCertificate, listCertificates, openClientPki, rejectedFolder, thumbprint, trustedFolder, type CertificateSummary } from './pki.js';

export interface PkiListing {
  rejected: CertificateSummary[];
  trusted: CertificateSummary[];
}

export function listPki(pkiDir: string): PkiListing {
  return { rejected: listCertificates(rejectedFolder(pkiDir)), trusted: listCertificates(trustedFolder(pkiDir)) };
}

/**
 * Trusts a server certificate that the gateway rejected, found by thumbprint (a unique prefix of at
 * least 8 hex digits is enough). Returns the certificate trusted.
 */
export async function trustRejected(pkiDir: string, thumb: string): Promise<CertificateSummary> {
  const want = thumb.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (want.length < 8) throw new Error('指纹至少需要 8 位十六进制数字');
  const matches = listCertificates(rejectedFolder(pkiDir)).filter((c) => c.thumbprint.startsWith(want));
  if (matches.length === 0) {
    const trusted = listCertificates(trustedFolder(pkiDir)).find((c) => c.thumbprint.startsWith(want));
    if (trusted) return trusted;
    throw new Error(`${rejectedFolder(pkiDir)} 中没有指纹为 ${thumb} 的证书（先让网关连接一次该服务器，或用 --endpoint 直接获取）`);
  }
  if (matches.length > 1) throw new Error(`指纹前缀 ${thumb} 匹配多个证书，请给出完整指纹`);
  const cert = matches[0]!;
  const pki = await openClientPki(pkiDir, false);
  try {
    await pki.trustCertificate(certificateDer(readFileSync(cert.file)));
  } finally {
    await pki.dispose();
  }
  rmSync(cert.file, { force: true });
  return cert;
}

/**
 * Fetches the server certificate of an endpoint (over the unsecured discovery channel) and trusts it.
 * If `expectThumbprint` is given, the certificate must match it: an engineer compares the thumbprint
 * with the one shown on the server's own configuration page, which defeats a man in the middle.
 */
export async function trustFromEndpoint(pkiDir: string, endpoint: string, expectThumbprint?: string): Promise<CertificateSummary> {
  const eps = await discoverEndpoints(endpoint);
  const der = eps.find((e) => e.certificate)?.certificate;
  if (!der) throw new Error(`${endpoint} 没有提供服务器证书（只有 None 安全模式？那无需信任）`);
  const thumb = thumbprint(der);
  if (expectThumbprint && !thumb.startsWith(expectThumbprint.toLowerCase())) {
    throw new Error(`${endpoint} 的证书指纹是 ${thumb}，与期望的 ${expectThumbprint} 不符：未信任`);
  }
  const pki = await openClientPki(pkiDir, false);
  try {
    await pki.trustCertificate(der);
  } finally {
    await pki.dispose();
  }
  for (const c of listCertificates(rejectedFolder(pkiDir))) if (c.thumbprint === thumb) rmSync(c.file, { force: true });
  return describeCertificate(endpoint, der);
}
