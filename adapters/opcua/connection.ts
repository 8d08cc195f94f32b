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
        reject(e);
      },
    );
  });
}

function serverThumbprintOf(client: OPCUAClient): string | undefined {
  const cert = client.serverCertificate;
  const first = Array.isArray(cert) ? cert[0] : cert;
  return first ? thumbprint(Buffer.from(first)) : undefined;
}

/** Turns node-opcua's errors into one the operator can act on. */
function explain(err: unknown, s: ConnectionSettings, client: OPCUAClient): OpcuaConnectError {
  if (err instanceof OpcuaConnectError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (/BadCertificateUntrusted|certificate verification failed|BadCertificate/i.test(text)) {
    const thumb = serverThumbprintOf(client);
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
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|timeout|socket has been disconnected|connection may have been rejected/i.test(text)) {
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
    transportTimeout: s.connectTimeout,
    // The adapter's watchdog decides when a session is dead; node-opcua's reads stay out of it.
    keepSessionAlive: false,
  });
  let identity: UserIdentityInfo;
  try {
    identity = userIdentity(s.auth);
    await withTimeout(client.connect(s.endpoint), s.connectTimeout, `连接 ${s.endpoint} `);
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    throw explain(err, s, client);
  }
  try {
    const session = await withTimeout(client.createSession(identity), s.connectTimeout, `在 ${s.endpoint} 上建立会话`);
    return {
      client,
      session,
      async close() {
        await session.close(true).catch(() => undefined);
        await client.disconnect().catch(() => undefined);
      },
    };
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    throw explain(err, s, client);
  }
}
