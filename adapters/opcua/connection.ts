import { readFileSync } from 'node:fs';
import {
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua';
import type { OpcuaAuth, SecurityModeName, SecurityPolicyName } from './config.js';
import { certificateDer, openClientPki, thumbprint, trustCommand } from './pki.js';
import { quietNodeOpcua } from './node-opcua-logging.js';
import type { Logger } from '../../gateway/core/logger.js';

export interface ConnectionSettings {
  endpoint: string;
  security: { mode: SecurityModeName; policy: SecurityPolicyName };
  auth: OpcuaAuth;
  pkiDir: string;
  trustAllServers: boolean;
  connectTimeout: number;
  requestTimeout: number;
  sessionTimeout: number;
  /** Receive and send buffer size offered in the Hello (bytes). */
  bufferSize: number;
  /**
   * Socket inactivity limit of the transport. Kept above the adapter's watchdog so that the watchdog,
   * which knows the subscription's keep-alive period, is what detects a silent server.
   */
  transportTimeout?: number;
}

export type ConnectFailure = 'untrusted-server' | 'auth' | 'unreachable' | 'security' | 'other';

/** A connection failure with a Chinese message an engineer can act on. */
export class OpcuaConnectError extends Error {
  constructor(
    message: string,
    readonly kind: ConnectFailure,
    readonly serverThumbprint?: string,
  ) {
    super(message);
    this.name = 'OpcuaConnectError';
  }
}

export interface OpenSession {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

const MODES: Record<SecurityModeName, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};
const POLICIES: Record<SecurityPolicyName, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

export function userIdentity(auth: OpcuaAuth): UserIdentityInfo {
  switch (auth.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username': {
      const password = auth.password ?? process.env[auth.passwordEnv ?? ''];
      if (password === undefined) {
        throw new OpcuaConnectError(`环境变量 ${auth.passwordEnv} 未设置：无法取得 OPC UA 用户 ${auth.username} 的密码`, 'auth');
      }
      return { type: UserTokenType.UserName, userName: auth.username, password };
    }
    case 'certificate':
      return {
        type: UserTokenType.Certificate,
        certificateData: certificateDer(readFileSync(auth.certFile)),
        privateKey: readFileSync(auth.keyFile, 'utf8'),
      };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new OpcuaConnectError(`${what}超时（${ms} ms）`, 'unreachable')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export interface ServerEndpoint {
  securityMode: SecurityModeName;
  securityPolicy: string;
  /** DER of the server's application certificate (the first of its chain). */
  certificate: Buffer | undefined;
  userTokens: string[];
}

/**
 * The endpoints a server offers, fetched over an unsecured discovery channel (GetEndpoints needs no
 * trust), with their certificates: used to show the thumbprint of a rejected server and by the
 * trust and browse commands.
 */
export async function discoverEndpoints(endpoint: string, timeoutMs = 5000): Promise<ServerEndpoint[]> {
  quietNodeOpcua();
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, transportTimeout: timeoutMs });
  try {
    await withTimeout(client.connect(endpoint), timeoutMs, `连接 ${endpoint} `);
    const eps = await withTimeout(client.getEndpoints(), timeoutMs, `读取 ${endpoint} 的端点`);
    return eps.map((e) => {
      const mode = MessageSecurityMode[e.securityMode] as SecurityModeName;
      const cert = e.serverCertificate ? certificateChainFirst(Buffer.from(e.serverCertificate)) : undefined;
      return {
        securityMode: mode,
        securityPolicy: (e.securityPolicyUri ?? '').split('#')[1] ?? '',
        certificate: cert,
        userTokens: (e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType] ?? String(t.tokenType)),
      };
    });
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/** A certificate field may carry a chain (concatenated DER); the first element is the server's. */
function certificateChainFirst(der: Buffer): Buffer {
  // DER SEQUENCE: 0x30 0x82 <len hi> <len lo> for certificates of 256 bytes to 64 KiB.
  if (der.length > 4 && der[0] === 0x30 && der[1] === 0x82) {
    const len = (der[2]! << 8) + der[3]! + 4;
    if (len < der.length) return der.subarray(0, len);
  }
  return der;
}

async function serverThumbprint(endpoint: string): Promise<string | undefined> {
  try {
    const eps = await discoverEndpoints(endpoint, 3000);
    const cert = eps.find((e) => e.certificate)?.certificate;
    return cert ? thumbprint(cert) : undefined;
  } catch {
    return undefined;
  }
}

/** Turns node-opcua's errors into one the operator can act on. */
async function explain(err: unknown, s: ConnectionSettings): Promise<OpcuaConnectError> {
  if (err instanceof OpcuaConnectError) return err;
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n[\s\S]*$/, (rest) => ' ' + rest.replace(/\s+/g, ' ').trim()).trim();
  if (/BadCertificateUntrusted|certificate verification failed|BadCertificate/i.test(text)) {
    const thumb = await serverThumbprint(s.endpoint);
    const how = thumb
      ? `核对指纹后执行：${trustCommand(s.pkiDir, thumb)}`
      : `执行 npm run gateway -- opcua-trust --pki ${s.pkiDir} --list 查看被拒绝的证书`;
    return new OpcuaConnectError(
      `OPC UA 服务器 ${s.endpoint} 的证书不受信任（指纹 ${thumb ?? '未知'}，已放入 ${s.pkiDir}/rejected）。${how}`,
      'untrusted-server',
      thumb,
    );
  }
  if (/BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserAccessDenied/i.test(text)) {
    return new OpcuaConnectError(`OPC UA 服务器 ${s.endpoint} 拒绝了用户身份（${s.auth.type}）：检查用户名、密码或用户证书`, 'auth');
  }
  if (/ECONNREFUSED|Fail to connect|premature disconnection|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|timeout|socket has been disconnected|connection may have been rejected/i.test(text)) {
    return new OpcuaConnectError(`无法连接 OPC UA 服务器 ${s.endpoint}：${text}`, 'unreachable');
  }
  if (/endpoint|SecurityPolicy|security mode|BadSecurity/i.test(text)) {
    return new OpcuaConnectError(
      `OPC UA 服务器 ${s.endpoint} 不接受安全设置 ${s.security.mode}/${s.security.policy}：${text}（用 browse 命令查看服务器提供的端点）`,
      'security',
    );
  }
  return new OpcuaConnectError(`OPC UA 连接 ${s.endpoint} 失败：${text}`, 'other');
}

/**
 * Connects and opens a session, once (no retries: the adapter's supervisor owns retrying, with
 * backoff, so that a failed attempt never leaves a half-open client behind).
 */
export async function openSession(s: ConnectionSettings, log?: Logger): Promise<OpenSession> {
  quietNodeOpcua(log);
  const pki = await openClientPki(s.pkiDir, s.trustAllServers);
  const client = OPCUAClient.create({
    applicationName: 'yejin-gateway',
    endpointMustExist: false,
    securityMode: MODES[s.security.mode],
    securityPolicy: POLICIES[s.security.policy],
    clientCertificateManager: pki,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: s.sessionTimeout,
    defaultTransactionTimeout: s.requestTimeout,
    transportTimeout: s.transportTimeout ?? Math.max(60_000, s.connectTimeout),
    // The adapter's watchdog decides when a session is dead; node-opcua's reads stay out of it.
    keepSessionAlive: false,
    transportSettings: { receiveBufferSize: s.bufferSize, sendBufferSize: s.bufferSize },
  });
  // The certificate manager watches its folders: it must be disposed with the client.
  const release = async () => {
    await client.disconnect().catch(() => undefined);
    await pki.dispose().catch(() => undefined);
  };
  let identity: UserIdentityInfo;
  try {
    identity = userIdentity(s.auth);
    await withTimeout(client.connect(s.endpoint), s.connectTimeout, `连接 ${s.endpoint} `);
  } catch (err) {
    await release();
    throw await explain(err, s);
  }
  try {
    const session = await withTimeout(client.createSession(identity), s.connectTimeout, `在 ${s.endpoint} 上建立会话`);
    return {
      client,
      session,
      async close() {
        await session.close(true).catch(() => undefined);
        await release();
      },
    };
  } catch (err) {
    await release();
    throw await explain(err, s);
  }
}
