import { z } from 'zod';
import type { Command } from '../command.js';
import { parseOptions } from '../options.js';
import { DEFAULT_BUFFER_SIZE, SECURITY_MODES, SECURITY_POLICIES, type OpcuaAuth } from '../../../adapters/opcua/config.js';
import { discoverEndpoints, openSession } from '../../../adapters/opcua/connection.js';
import { browseAddressSpace, formatPointsYaml, formatTree } from '../../../adapters/opcua/browse.js';

const usage =
  'browse --endpoint <opc.tcp://host:port> [--mode None|Sign|SignAndEncrypt --policy <policy>] [--user <name> (--password <pw> | --password-env <VAR>)] ' +
  '[--cert <user.pem> --key <user.key>] [--pki <dir>] [--trust-all] [--root <nodeId>] [--depth <n>] [--max-nodes <n>] [--yaml]';

const optionsSchema = z.strictObject({
  endpoint: z.string().regex(/^opc\.tcp:\/\//, '--endpoint must be an opc.tcp:// URL'),
  mode: z.enum(SECURITY_MODES).default('None'),
  policy: z.enum(SECURITY_POLICIES).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  'password-env': z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  pki: z.string().default('.data/pki/opcua'),
  'trust-all': z.boolean().default(false),
  root: z.string().optional(),
  depth: z.coerce.number().int().min(0).max(20).default(6),
  'max-nodes': z.coerce.number().int().min(1).max(100_000).default(2000),
  yaml: z.boolean().default(false),
});

const command: Command = {
  summary: 'print an OPC UA server address space (NodeIds, browse paths, types, values, units) to write point config',
  usage,
  async run(argv) {
    const raw = parseOptions(
      argv,
      {
        endpoint: { type: 'string', short: 'e' },
        mode: { type: 'string' },
        policy: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'password-env': { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        pki: { type: 'string' },
        'trust-all': { type: 'boolean' },
        root: { type: 'string' },
        depth: { type: 'string' },
        'max-nodes': { type: 'string' },
        yaml: { type: 'boolean' },
      },
      usage,
    );
    const parsed = optionsSchema.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) console.error(`--${i.path.join('.')}: ${i.message}`);
      console.error(`usage: npm run gateway -- ${usage}`);
      return 1;
    }
    const o = parsed.data;
    const policy = o.policy ?? (o.mode === 'None' ? 'None' : 'Basic256Sha256');
    let auth: OpcuaAuth = { type: 'anonymous' };
    if (o.user) auth = { type: 'username', username: o.user, ...(o.password !== undefined ? { password: o.password } : { passwordEnv: o['password-env'] ?? 'OPCUA_PASSWORD' }) };
    else if (o.cert && o.key) auth = { type: 'certificate', certFile: o.cert, keyFile: o.key };

    // What the server offers, so an engineer can pick security settings for the config.
    try {
      const eps = await discoverEndpoints(o.endpoint);
      console.log(`# ${o.endpoint} 提供的端点 (endpoints):`);
      for (const e of eps) console.log(`#   security: { mode: ${e.securityMode}, policy: ${e.securityPolicy} }   用户令牌 (user tokens): ${e.userTokens.join(', ')}`);
    } catch (err) {
      console.error(`读取端点失败 (GetEndpoints failed): ${(err as Error).message}`);
      return 1;
    }

    const conn = await openSession({
      endpoint: o.endpoint,
      security: { mode: o.mode, policy },
      auth,
      pkiDir: o.pki,
      trustAllServers: o['trust-all'],
      connectTimeout: 10_000,
      requestTimeout: 30_000,
      sessionTimeout: 60_000,
      bufferSize: DEFAULT_BUFFER_SIZE,
    });
    try {
      const nodes = await browseAddressSpace(conn.session, { ...(o.root ? { root: o.root } : {}), maxDepth: o.depth, maxNodes: o['max-nodes'] });
      console.log(o.yaml ? formatPointsYaml(nodes) : formatTree(nodes));
      if (nodes.length >= o['max-nodes']) console.error(`# 已达 --max-nodes ${o['max-nodes']}，输出不完整；用 --root 缩小范围`);
    } finally {
      await conn.close();
    }
    return 0;
  },
};
export default command;
