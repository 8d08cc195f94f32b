import { z } from 'zod';
import { ADAPTERS, devicePoints } from '../../adapters/registry.js';
import { durationSchema } from '../core/duration.js';
import { ruleSchema, ruleKind } from '../../rules/registry.js';
import { resolveLimits } from '../../rules/limits.js';
import type { PointDefinition } from '../core/point.js';
import { usccProblem } from './uscc.js';
import { publishPolicySchema } from './publish-schema.js';
import { publishPolicyProblem } from '../sinks/mqtt-publish-policy.js';
import { alarmsSectionSchema, storageSectionSchema, suppressionSchema } from './alarms-schema.js';
import { influxSectionSchema } from '../sinks/influx/config.js';
import { uplinkConfigSchema, uplinkConfigProblems } from '../uplink/config.js';
import { httpSectionSchema } from '../services/http/config.js';
import { servicePoints } from '../services/health-points.js';
import { equipmentSchema } from './equipment-schema.js';
import { combinePackLimits, expandEquipment, limitsByPoint, mergeLimits } from '../../rules/packs/expand.js';
import { historySectionSchema } from '../services/history/config.js';
import { hiddenDangerSectionSchema } from '../services/hidden-danger/config.js';
import { centreSectionSchema } from '../services/centre/config.js';
import { controlSectionSchema } from '../control/config.js';

const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'ids may contain letters, digits, "_", "." and "-" only (they are used in MQTT topics)');

export const gatewaySectionSchema = z.strictObject({
  /** Used in MQTT topics gw/<id>/… and as the gateway code towards the platform. */
  id: idSchema,
  name: z.string().optional(),
  enterprise: z.strictObject({
    /** 企业名称. */
    name: z.string().min(1),
    /** 统一社会信用代码, 18 characters with check character. */
    creditCode: z.string().superRefine((code, ctx) => {
      const problem = usccProblem(code);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** How often the one-line summary prints on the terminal; 0 turns it off. */
  summaryInterval: durationSchema.default(5000),
});

export const brokerTlsSchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).default(8883),
  /** PEM files of the server certificate (with its chain) and key. */
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  /** CA that signs client certificates; with it, clients are asked for one. */
  caFile: z.string().min(1).optional(),
  /** Refuse a client without a certificate signed by caFile (they still log in with a user name). */
  requireClientCert: z.boolean().default(false),
});

const MiB = 1024 * 1024;
export const brokerLimitsSchema = z.strictObject({
  /** Largest MQTT packet accepted; a bigger one closes the connection as soon as its header arrives. */
  maxPacketBytes: z.number().int().min(1024).default(1 * MiB),
  /** Retained messages kept for clients (the gateway's own alarm states are not counted). */
  maxRetainedMessages: z.number().int().min(0).default(10_000),
  maxRetainedBytes: z.number().int().min(0).default(32 * MiB),
  /** Bytes waiting to be written to one client; past this the slow client is disconnected. */
  maxQueuedBytes: z.number().int().min(64 * 1024).default(8 * MiB),
  /** Failed logins per client address within loginWindow before the address is refused unchecked. */
  maxLoginFailures: z.number().int().min(1).default(10),
  loginWindow: durationSchema.default(60_000),
});

export const mqttSectionSchema = z
  .strictObject({
    /** Run the embedded aedes broker, or publish to an external broker at `url`. */
    broker: z.enum(['embedded', 'external']).default('embedded'),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).default(1883),
    /** External broker, e.g. mqtt://10.0.0.5:1883. */
    url: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /**
     * Accept clients without credentials on the embedded broker. Only for demos and bench tests:
     * authentication and ACLs are the norm.
     */
    allowAnonymous: z.boolean().default(false),
    /** Readings go out on change, and at least this often when unchanged (0: only on change). */
    readingsMaxInterval: durationSchema.default(10_000),
    /**
     * Default MQTT publication of readings for every point: true (on change), false (none: alarms,
     * events and status still go out), or report by exception { deadband, maxInterval }. Devices
     * and points override it with their own `publish:`; an adapter may default its devices (an MQTT
     * simple-form device on this broker: false, adapters/mqtt/publication.ts).
     */
    publishReadings: publishPolicySchema.default(true),
    /**
     * Embedded broker: a mosquitto password file (mosquitto_passwd, $7$ or $6$ hashes) whose users log
     * in besides those of the gateway's user store (`users add`). They have no role: the acl file alone
     * governs them.
     */
    passwordFile: z.string().min(1).optional(),
    /** Embedded broker: per-user topic ACLs in mosquitto acl_file syntax (re-read when it changes). */
    aclFile: z.string().min(1).optional(),
    /** Embedded broker: a second, TLS listener (mqtts). */
    tls: brokerTlsSchema.optional(),
    /** Embedded broker: bounds on sizes, so no client can take the gateway's memory. */
    limits: brokerLimitsSchema.default(() => brokerLimitsSchema.parse({})),
  })
  .superRefine((m, ctx) => {
    if (m.broker === 'external' && !m.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'an external broker needs url: mqtt://host:port' });
    if (m.tls?.requireClientCert && !m.tls.caFile) ctx.addIssue({ code: 'custom', path: ['tls', 'caFile'], message: 'requireClientCert needs caFile, the CA that signs the client certificates' });
  });

const deviceSchema = z.discriminatedUnion(
  'type',
  ADAPTERS.map((a) => a.deviceSchema) as unknown as [(typeof ADAPTERS)[number]['deviceSchema'], ...(typeof ADAPTERS)[number]['deviceSchema'][]],
);

const configObjectSchema = z.strictObject({
    /** Editors use this to find the JSON Schema; ignored by the gateway. */
    $schema: z.string().optional(),
    gateway: gatewaySectionSchema,
    mqtt: mqttSectionSchema.default(() => mqttSectionSchema.parse({})),
    /** At least one, except in the monitoring-centre role (`centre:`), whose input is the enterprises' uplinks. */
    devices: z.array(deviceSchema),
    rules: z.array(ruleSchema).default([]),
    /** Equipment declared by type (rules/packs/): expands into limits and rules; see rules/packs/README.md. */
    equipment: z.array(equipmentSchema).default([]),
    alarms: alarmsSectionSchema.default(() => alarmsSectionSchema.parse({})),
    suppression: z.array(suppressionSchema).default([]),
    storage: storageSectionSchema.default(() => storageSectionSchema.parse({})),
    influx: influxSectionSchema.optional(),
    /** One uplink target, or several: `{ targets: [{ name, ... }] }` (gateway/uplink/README.md). */
    uplink: uplinkConfigSchema.optional(),
    /** The HTTP server (health, readiness, /metrics, API and console); off when the section is absent. */
    http: httpSectionSchema.optional(),
    /** Local history of readings for the console's trends (gateway/services/history). */
    history: historySectionSchema.default(() => historySectionSchema.parse({})),
    /** The hidden-danger closed loop (隐患闭环, gateway/services/hidden-danger); off when absent. */
    hiddenDanger: hiddenDangerSectionSchema.optional(),
    /** The monitoring-centre role: enterprises' uplinks in, register, grades, warnings down (gateway/services/centre). */
    centre: centreSectionSchema.optional(),
    /** The CLI's control socket: who may connect, and which OS users act without a link (gateway/control). */
    control: controlSectionSchema.default(() => controlSectionSchema.parse({})),
  });
type ParsedConfig = z.output<typeof configObjectSchema>;

/**
 * The config with its equipment expanded: each pack's limits merged into its bound points (the
 * point's own levels win), and each pack rule added to `rules` unless a rule of the same id is
 * written there (the written one wins). `equipment` stays, for `expand` and `coverage`.
 */
function applyEquipment(cfg: ParsedConfig): ParsedConfig {
  if (cfg.equipment.length === 0) return cfg;
  const expansion = expandEquipment(cfg.equipment, pointDefinitionsOf(cfg), suggest);
  const byPoint = limitsByPoint(expansion);
  const written = new Set(cfg.rules.map((r) => r.id));
  return {
    ...cfg,
    devices: cfg.devices.map((d) => ({
      ...d,
      points: d.points.map((p) => {
        const pack = byPoint.get(p.id);
        return pack ? { ...p, limits: mergeLimits(combinePackLimits(pack).limits, p.limits) } : p;
      }),
    })) as ParsedConfig['devices'],
    rules: [...expansion.rules.filter((r) => !written.has(r.rule.id)).map((r) => r.rule), ...cfg.rules],
  };
}

function pointDefinitionsOf(cfg: Pick<ParsedConfig, 'devices'>): Map<string, PointDefinition> {
  const map = new Map<string, PointDefinition>();
  for (const d of cfg.devices) for (const p of devicePoints(d)) map.set(p.id, { ...p, device: d.id });
  return map;
}

export const gatewayConfigSchema = configObjectSchema
  .superRefine((cfg, ctx) => {
    if (cfg.devices.length === 0 && !cfg.centre) ctx.addIssue({ code: 'custom', path: ['devices'], message: 'at least one device is needed (only a monitoring centre, with a centre: section, runs without devices)' });
    // The centre's summary goes to uplink targets by name: each must exist.
    const targetNames = cfg.uplink && 'targets' in cfg.uplink ? cfg.uplink.targets.map((t) => t.name) : [];
    cfg.centre?.summary.targets?.forEach((t, i) => {
      if (!targetNames.includes(t)) ctx.addIssue({ code: 'custom', path: ['centre', 'summary', 'targets', i], message: `no uplink target named "${t}" (uplink.targets: ${targetNames.join(', ') || 'none'})` });
    });
    // Cross-references and uniqueness: these are what zod alone cannot see.
    const deviceIds = new Map<string, number>();
    const pointIds = new Map<string, string>();
    const points = new Map<string, PointDefinition>();
    // Resolved once per point (a 50,000-point config resolved them twice), and the list of point ids
    // for "did you mean" built once, on the first unknown name.
    const resolvedLimits = new Map<string, ReturnType<typeof resolveLimits>['limits']>();
    let pointIdList: string[] | undefined;
    const suggestPoint = (id: string) => suggest(id, (pointIdList ??= [...points.keys()]));
    cfg.devices.forEach((d, di) => {
      if (deviceIds.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', di, 'id'], message: `duplicate device id "${d.id}" (also devices[${deviceIds.get(d.id)}])` });
      else deviceIds.set(d.id, di);
      // Diagnostic points (e.g. <device>.comm_ok) come after the configured ones and may be named by rules.
      devicePoints(d).forEach((p, pi) => {
        const configured = pi < d.points.length;
        const here = configured ? `devices[${di}].points[${pi}]` : `the diagnostic point of devices[${di}]`;
        const prev = pointIds.get(p.id);
        // A duplicate device id is reported once, not again through its diagnostic points.
        if (!configured && deviceIds.get(d.id) !== di) return;
        if (prev) ctx.addIssue({ code: 'custom', path: configured ? ['devices', di, 'points', pi, 'id'] : ['devices', di, 'id'], message: `duplicate point id "${p.id}" (also ${prev})` });
        else pointIds.set(p.id, here);
        points.set(p.id, { ...p, device: d.id });
        const resolved = resolveLimits(p);
        resolvedLimits.set(p.id, resolved.limits);
        if (!configured) return;
        const publishProblem = publishPolicyProblem(p, d.publish);
        if (publishProblem) ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'publish'], message: publishProblem });
        for (const problem of resolved.problems) {
          ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'limits', ...problem.path], message: problem.message });
        }
      });
    });
    // Health points of the gateway's own services (gateway.uplink.link_up …) may be named by rules too.
    for (const p of servicePoints(cfg)) if (!points.has(p.id)) points.set(p.id, { ...p, device: 'gateway' });
    // Equipment: bindings and params first; the pack's limits then count as the points' own.
    const equipmentIds = new Map<string, number>();
    cfg.equipment.forEach((eq, ei) => {
      if (equipmentIds.has(eq.id)) ctx.addIssue({ code: 'custom', path: ['equipment', ei, 'id'], message: `duplicate equipment id "${eq.id}" (also equipment[${equipmentIds.get(eq.id)}])` });
      else equipmentIds.set(eq.id, ei);
    });
    const expansion = expandEquipment(cfg.equipment, points, suggest);
    for (const p of expansion.problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    for (const [pointId, list] of limitsByPoint(expansion)) {
      const { limits, clashes } = combinePackLimits(list);
      for (const c of clashes) {
        ctx.addIssue({ code: 'custom', path: ['equipment', c.second.index, ...c.second.path], message: `${c.level} of point "${pointId}" is set by both ${c.first.equipment} (${c.first.check}) and ${c.second.equipment} (${c.second.check})` });
      }
      const p = points.get(pointId)!;
      const merged = { ...p, limits: mergeLimits(limits, p.limits) };
      for (const problem of resolveLimits(merged).problems) {
        ctx.addIssue({ code: 'custom', path: ['equipment', list[0]!.index, ...list[0]!.path], message: `limits of point "${pointId}" with the pack's: ${problem.path.join('.')}: ${problem.message}` });
      }
      points.set(pointId, merged);
    }
    const ruleIds = new Map<string, number>();
    const alarmIds = new Map<string, string>();
    for (const p of points.values()) for (const l of resolvedLimits.get(p.id) ?? resolveLimits(p).limits) alarmIds.set(`${p.id}:${l.level}`, `the limits of point ${p.id}`);
    cfg.rules.forEach((rule, ri) => {
      if (ruleIds.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['rules', ri, 'id'], message: `duplicate rule id "${rule.id}" (also rules[${ruleIds.get(rule.id)}])` });
      else ruleIds.set(rule.id, ri);
      const kind = ruleKind(rule.kind);
      let missing = false;
      for (const input of kind.inputs(rule)) {
        if (!points.has(input)) {
          missing = true;
          ctx.addIssue({ code: 'custom', path: ['rules', ri, ...(pathOf(rule, input) ?? [])], message: `unknown point "${input}"${suggestPoint(input)}` });
        }
      }
      if (missing) return;
      for (const problem of kind.check?.(rule, points) ?? []) ctx.addIssue({ code: 'custom', path: ['rules', ri, ...problem.path], message: problem.message });
      for (const alarm of kind.alarms(rule, points)) {
        const prev = alarmIds.get(alarm.alarmId);
        if (prev) ctx.addIssue({ code: 'custom', path: ['rules', ri], message: `alarm id "${alarm.alarmId}" is already defined by ${prev}` });
        else alarmIds.set(alarm.alarmId, `rules[${ri}]`);
      }
    });
    // Pack rules a written rule of the same id does not replace: their own checks and alarm ids.
    for (const r of expansion.rules) {
      if (ruleIds.has(r.rule.id)) continue;
      const kind = ruleKind(r.rule.kind);
      const at = ['equipment', r.index];
      for (const problem of kind.check?.(r.rule, points) ?? []) ctx.addIssue({ code: 'custom', path: at, message: `check ${r.check}: ${problem.path.join('.')}: ${problem.message}` });
      for (const alarm of kind.alarms(r.rule, points)) {
        const prev = alarmIds.get(alarm.alarmId);
        if (prev) ctx.addIssue({ code: 'custom', path: at, message: `check ${r.check}: alarm id "${alarm.alarmId}" is already defined by ${prev}` });
        else alarmIds.set(alarm.alarmId, `equipment[${r.index}] (${r.check})`);
      }
    }
    for (const p of uplinkConfigProblems(cfg.uplink, points, suggestPoint)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    cfg.suppression.forEach((s, si) => {
      if (!points.has(s.when.point)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'when', 'point'], message: `unknown point "${s.when.point}"${suggestPoint(s.when.point)}` });
      s.points.forEach((p, i) => {
        if (!points.has(p)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'points', i], message: `unknown point "${p}"${suggestPoint(p)}` });
      });
      s.alarms.forEach((a, i) => {
        if (!alarmIds.has(a)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'alarms', i], message: `unknown alarm "${a}"${suggest(a, [...alarmIds.keys()])}` });
      });
    });
  })
  .transform(applyEquipment);

export type GatewayConfig = ParsedConfig;
export type DeviceConfig = GatewayConfig['devices'][number];

export type { PointDefinition } from '../core/point.js';

export function pointDefinitions(cfg: GatewayConfig): Map<string, PointDefinition> {
  const map = new Map<string, PointDefinition>();
  for (const d of cfg.devices) for (const p of devicePoints(d)) map.set(p.id, { ...p, device: d.id });
  for (const p of servicePoints(cfg)) if (!map.has(p.id)) map.set(p.id, { ...p, device: 'gateway' });
  return map;
}

/**
 * Path of the field in a rule that names a point: an exact value anywhere in nested objects and arrays
 * first, else a string (an expression) that contains it.
 */
export function pathOf(value: unknown, pointId: string): (string | number)[] | undefined {
  const search = (v: unknown, exact: boolean): (string | number)[] | undefined => {
    if (typeof v === 'string') return (exact ? v === pointId : v.includes(pointId)) ? [] : undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const sub = search(v[i], exact);
        if (sub) return [i, ...sub];
      }
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const sub = search(child, exact);
        if (sub) return [k, ...sub];
      }
    }
    return undefined;
  };
  return search(value, true) ?? search(value, false);
}

/** " (did you mean x?)" for a near miss, else "". */
export function suggest(word: string, candidates: readonly string[]): string {
  // Only a near miss is suggested, so a candidate whose length alone puts it further away is skipped
  // without computing its distance (a config with many unknown names and 50,000 points stays fast).
  const maxDist = Math.max(2, Math.floor(word.length / 4));
  let best: string | undefined;
  let bestDist = maxDist + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) >= bestDist) continue;
    const d = editDistance(word, c, bestDist);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== undefined ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance, or any value >= `limit` once it is certain to reach it. */
function editDistance(a: string, b: string, limit = Infinity): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    let rowMin = dp[0];
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
      if (dp[j]! < rowMin) rowMin = dp[j]!;
    }
    if (rowMin >= limit) return limit;
  }
  return dp[b.length]!;
}
