import { z } from 'zod';
import { publishField } from '../../gateway/config/publish-schema.js';
import { basePointFields } from '../../gateway/config/point-schema.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { scaleSchema } from '../shared/scaling.js';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

/**
 * NodeId in the OPC UA string form: `ns=2;s=BF1.TopPressure`, `ns=3;i=1001`, `ns=2;g=<guid>`,
 * `ns=2;b=<base64>`, or with the namespace URI instead of its index (`nsu=urn:plc;s=Tag`), which
 * survives a server that renumbers its namespaces after a restart.
 */
export const nodeIdTextSchema = z
  .string()
  .regex(/^((ns=\d+|nsu=[^;]+);)?[isgb]=.+$/, 'expected a NodeId such as ns=2;s=BF1.TopPressure, ns=3;i=1001 or nsu=urn:plc;s=Tag');

/**
 * Browse path from the Objects folder, OPC UA relative-path syntax: `/` follows hierarchical
 * references, `.` aggregates; each element `<nsIndex>:<BrowseName>`, e.g. `/1:BF1/1:TopPressure`.
 */
export const browsePathSchema = z
  .string()
  .regex(/^([/.]\d+:[^/.]+)+$/, 'expected a browse path from Objects such as /1:BF1/1:TopPressure');

/** Server-side filter: report only changes larger than this (absolute, or percent of EURange). */
export const deadbandConfigSchema = z.strictObject({
  type: z.enum(['absolute', 'percent']),
  value: z.number().nonnegative(),
});
export type DeadbandConfig = z.infer<typeof deadbandConfigSchema>;

const monitoringFields = {
  /** How often the server samples the value, ms ("250ms"). 0 asks for exception-based reporting. */
  samplingInterval: durationSchema.optional(),
  /** Values the server keeps between publishes; 1 keeps only the newest. */
  queueSize: z.number().int().min(1).max(10_000).optional(),
  deadband: deadbandConfigSchema.optional(),
};

export const opcuaPointSchema = z
  .strictObject({
    ...basePointFields,
    nodeId: nodeIdTextSchema.optional(),
    browsePath: browsePathSchema.optional(),
    /** Element of an array variable (0-based), read with an OPC UA index range. */
    arrayIndex: z.number().int().min(0).optional(),
    scale: scaleSchema.optional(),
    ...monitoringFields,
  })
  .superRefine((p, ctx) => {
    if ((p.nodeId === undefined) === (p.browsePath === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['nodeId'], message: 'give exactly one of nodeId or browsePath' });
    }
  });
export type OpcuaPoint = z.infer<typeof opcuaPointSchema>;

const securitySchema = z
  .strictObject({
    mode: z.enum(SECURITY_MODES).default('None'),
    policy: z.enum(SECURITY_POLICIES).default('None'),
  })
  .superRefine((s, ctx) => {
    if ((s.mode === 'None') !== (s.policy === 'None')) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: 'mode None goes with policy None; Sign and SignAndEncrypt need a policy such as Basic256Sha256' });
    }
  });

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('anonymous') }),
  z
    .strictObject({
      type: z.literal('username'),
      username: z.string().min(1),
      /** Prefer passwordEnv: the password then stays out of the config file. */
      password: z.string().optional(),
      passwordEnv: z.string().optional(),
    })
    .superRefine((a, ctx) => {
      if ((a.password === undefined) === (a.passwordEnv === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'give exactly one of password or passwordEnv' });
      }
    }),
  z.strictObject({
    type: z.literal('certificate'),
    /** PEM or DER user certificate and its PEM private key. */
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
  }),
]);
export type OpcuaAuth = z.infer<typeof authSchema>;

/** Receive/send buffer offered to OPC UA servers: the usual 64 KB (see `bufferSize`). */
export const DEFAULT_BUFFER_SIZE = 65_536;

export const opcuaDeviceSchema = z
  .strictObject({
    id: z.string().min(1),
    name: z.string().optional(),
    type: z.literal('opcua'),
    enabled: z.boolean().default(true),
    ...publishField,
    /** opc.tcp://host:port[/path] of the server. */
    endpoint: z.string().regex(/^opc\.tcp:\/\/[^\s/:]+(:\d+)?(\/.*)?$/, 'expected an endpoint such as opc.tcp://10.1.2.3:4840'),
    security: securitySchema.default({ mode: 'None', policy: 'None' }),
    auth: authSchema.default({ type: 'anonymous' }),
    /**
     * Folder of the gateway's OPC UA certificates: own/ (created on first start), trusted/,
     * rejected/ (servers seen but not trusted), issuers/. Default: <storage.dataDir>/pki/opcua.
     */
    pkiDir: z.string().min(1).optional(),
    /** Trust any server certificate. Only for commissioning on an isolated network. */
    trustAllServers: z.boolean().default(false),
    /** subscription: the server reports changes (normal). polling: the gateway reads every pollInterval. */
    mode: z.enum(['subscription', 'polling']).default('subscription'),
    publishingInterval: durationSchema.default(1000),
    /** Defaults for points that do not set their own. */
    samplingInterval: durationSchema.default(500),
    queueSize: z.number().int().min(1).max(10_000).default(1),
    deadband: deadbandConfigSchema.optional(),
    pollInterval: durationSchema.default(1000),
    /** A publish (data or keep-alive) is due at least every keepAliveCount × publishingInterval. */
    keepAliveCount: z.number().int().min(1).max(1000).default(10),
    /**
     * Silent-session watchdog: no data, keep-alive or successful poll for this long → the connection
     * is dropped and rebuilt. Default: 3 × the keep-alive period (at least 10 s).
     */
    watchdogTimeout: durationSchema.optional(),
    /** Time allowed for connecting, opening the session and creating the subscription. */
    connectTimeout: durationSchema.default(10_000),
    /** Timeout of one service request (read, browse, create monitored items). */
    requestTimeout: durationSchema.default(10_000),
    sessionTimeout: durationSchema.default(60_000),
    /**
     * Receive and send buffer sizes the gateway offers in its Hello (bytes); the chunk size is the
     * smaller of its and the server's. node-opcua would offer 640 KB and allocates a whole chunk for
     * every request, however small; 64 KB is what most stacks use, and longer messages still go
     * through in several chunks. OPC UA's minimum is 8192.
     */
    bufferSize: z.number().int().min(8192).max(16 * 1024 * 1024).default(DEFAULT_BUFFER_SIZE),
    /** Reconnect backoff: first delay, doubled after each failure up to the maximum, with jitter. */
    reconnectMin: durationSchema.default(1000),
    reconnectMax: durationSchema.default(30_000),
    /** Points the server rejected (unknown NodeId, bad browse path) are retried this often. */
    retryBadPointsInterval: durationSchema.default(60_000),
    /** Monitored items / nodes per service call; servers announce limits as low as 100. */
    maxItemsPerCall: z.number().int().min(1).max(10_000).default(1000),
    points: z.array(opcuaPointSchema).min(1),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.points.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['points', i, 'id'], message: `point id "${p.id}" appears twice in device ${d.id}` });
      seen.add(p.id);
    });
    if (d.reconnectMax < d.reconnectMin) {
      ctx.addIssue({ code: 'custom', path: ['reconnectMax'], message: 'reconnectMax must not be below reconnectMin' });
    }
  });
export type OpcuaDevice = z.infer<typeof opcuaDeviceSchema>;

/** The watchdog period actually used for a device. */
export function watchdogTimeoutMs(d: Pick<OpcuaDevice, 'watchdogTimeout' | 'mode' | 'publishingInterval' | 'keepAliveCount' | 'pollInterval'>): number {
  if (d.watchdogTimeout !== undefined) return d.watchdogTimeout;
  const period = d.mode === 'subscription' ? d.publishingInterval * d.keepAliveCount : d.pollInterval;
  return Math.max(10_000, 3 * period);
}
