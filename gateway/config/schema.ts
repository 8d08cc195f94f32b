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
import { uplinkSectionSchema, uplinkConfigProblems } from '../uplink/config.js';
import { httpSectionSchema } from '../services/http/config.js';
import { historySectionSchema } from '../services/history/config.js';
import { servicePoints } from '../services/registry.js';

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
     * and points override it with their own `publish:`.
     */
    publishReadings: publishPolicySchema.default(true),
  })
  .superRefine((m, ctx) => {
    if (m.broker === 'external' && !m.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'an external broker needs url: mqtt://host:port' });
  });

const deviceSchema = z.discriminatedUnion(
  'type',
  ADAPTERS.map((a) => a.deviceSchema) as unknown as [(typeof ADAPTERS)[number]['deviceSchema'], ...(typeof ADAPTERS)[number]['deviceSchema'][]],
);

export const gatewayConfigSchema = z
  .strictObject({
    /** Editors use this to find the JSON Schema; ignored by the gateway. */
    $schema: z.string().optional(),
    gateway: gatewaySectionSchema,
    mqtt: mqttSectionSchema.default(() => mqttSectionSchema.parse({})),
    devices: z.array(deviceSchema).min(1),
    rules: z.array(ruleSchema).default([]),
    alarms: alarmsSectionSchema.default(() => alarmsSectionSchema.parse({})),
    suppression: z.array(suppressionSchema).default([]),
    storage: storageSectionSchema.default(() => storageSectionSchema.parse({})),
    influx: influxSectionSchema.optional(),
    uplink: uplinkSectionSchema.optional(),
    /** The HTTP server (health, readiness, /metrics, API and console); off when the section is absent. */
    http: httpSectionSchema.optional(),
    /** Local history of readings for the console's trends (gateway/services/history). */
    history: historySectionSchema.default(() => historySectionSchema.parse({})),
  })
  .superRefine((cfg, ctx) => {
    // Cross-references and uniqueness: these are what zod alone cannot see.
    const deviceIds = new Map<string, number>();
    const pointIds = new Map<string, string>();
    const points = new Map<string, PointDefinition>();
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
        if (!configured) return;
        const publishProblem = publishPolicyProblem(p, d.publish);
        if (publishProblem) ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'publish'], message: publishProblem });
        for (const problem of resolveLimits(p).problems) {
          ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'limits', ...problem.path], message: problem.message });
        }
      });
    });
    // Health points of the gateway's own services (gateway.uplink.link_up …) may be named by rules too.
    for (const p of servicePoints(cfg as GatewayConfig)) if (!points.has(p.id)) points.set(p.id, { ...p, device: 'gateway' });
    const ruleIds = new Map<string, number>();
    const alarmIds = new Map<string, string>();
    for (const p of points.values()) for (const l of resolveLimits(p).limits) alarmIds.set(`${p.id}:${l.level}`, `the limits of point ${p.id}`);
    cfg.rules.forEach((rule, ri) => {
      if (ruleIds.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['rules', ri, 'id'], message: `duplicate rule id "${rule.id}" (also rules[${ruleIds.get(rule.id)}])` });
      else ruleIds.set(rule.id, ri);
      const kind = ruleKind(rule.kind);
      let missing = false;
      for (const input of kind.inputs(rule)) {
        if (!points.has(input)) {
          missing = true;
          ctx.addIssue({ code: 'custom', path: ['rules', ri, ...(pathOf(rule, input) ?? [])], message: `unknown point "${input}"${suggest(input, [...points.keys()])}` });
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
    for (const p of uplinkConfigProblems(cfg.uplink, points, (id) => suggest(id, [...points.keys()]))) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    cfg.suppression.forEach((s, si) => {
      if (!points.has(s.when.point)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'when', 'point'], message: `unknown point "${s.when.point}"${suggest(s.when.point, [...points.keys()])}` });
      s.points.forEach((p, i) => {
        if (!points.has(p)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'points', i], message: `unknown point "${p}"${suggest(p, [...points.keys()])}` });
      });
      s.alarms.forEach((a, i) => {
        if (!alarmIds.has(a)) ctx.addIssue({ code: 'custom', path: ['suppression', si, 'alarms', i], message: `unknown alarm "${a}"${suggest(a, [...alarmIds.keys()])}` });
      });
    });
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
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
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 4)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
