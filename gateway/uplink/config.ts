import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import { usccProblem } from '../config/uscc.js';
import { uplinkTransportSchema } from './profiles/registry.js';
import { CO_DETECTOR_EQUIPMENT_TYPE, CO_LOCATION_TYPE_CODES, EQUIPMENT_TYPE_CODES, extendCodeList } from '../core/platform-codes.js';

/** One mapped point: the gateway's point id and the platform's point code (测点编码). */
export const uplinkPointSchema = z.strictObject({
  point: z.string().min(1),
  code: z.string().min(1),
  /** Unit sent to the platform; default: the point's unit. */
  unit: z.string().optional(),
  /** Name registered with the platform (base data); default: the point's name. */
  name: z.string().min(1).optional(),
  /** Code of the monitored equipment it belongs to (uplink.equipment[].code), for the base data. */
  equipment: z.string().min(1).optional(),
  /** Location type code of a fixed CO detector (1001 会议室 … 2027 机械真空泵房; gateway/core/platform-codes.ts). */
  locationType: z.string().regex(/^\d{4}$/, 'expected a 4-digit location type code such as 2019').optional(),
  /** 位号: the tag number on the P&ID / instrument list, e.g. AT-2019-01. */
  tag: z.string().min(1).optional(),
});

/** A monitored equipment (被监测设备) as registered with the platform. */
export const uplinkEquipmentSchema = z.strictObject({
  /** The enterprise's own code of the equipment, unique in the config, e.g. BF01. */
  code: z.string().min(1),
  /** 设备名称, e.g. 1#高炉. */
  name: z.string().min(1),
  /** Steel platform device-type code: 01 高炉 … 13 固定式一氧化碳报警器 (gateway/core/platform-codes.ts). */
  type: z.string().regex(/^\d{2}$/, 'expected a 2-digit equipment type code such as 01'),
});

/** Codes this gateway does not know yet, as the platform's access spec lists them: code → name. */
export const uplinkCodeListsSchema = z.strictObject({
  equipmentTypes: z.record(z.string().regex(/^\d{2}$/, 'expected a 2-digit code'), z.string().min(1)).default({}),
  locationTypes: z.record(z.string().regex(/^\d{4}$/, 'expected a 4-digit code'), z.string().min(1)).default({}),
});

const sizeSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$/i, 'expected a size such as 512MB or 2GB')])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(v)!;
    const unit = m[2]!.toUpperCase();
    const mult: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };
    return Math.round(Number(m[1]) * mult[unit]!);
  });

export const uplinkSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** 统一社会信用代码 sent as enterpriseCode; default: gateway.enterprise.creditCode. */
  enterpriseCode: z
    .string()
    .superRefine((code, ctx) => {
      const problem = usccProblem(code);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** 企业名称 in the base data; default: gateway.enterprise.name. */
  enterpriseName: z.string().min(1).optional(),
  /** Gateway code issued by the platform; default: gateway.id. */
  gatewayCode: z.string().min(1).optional(),
  /** Monitored equipment registered with the platform; uplink.points[].equipment refers to it. */
  equipment: z.array(uplinkEquipmentSchema).default([]),
  /** Additions to the known code lists (gateway/core/platform-codes.ts). */
  codeLists: uplinkCodeListsSchema.default({ equipmentTypes: {}, locationTypes: {} }),
  /**
   * Base data (基础数据) registration: the enterprise, gateway, equipment and points, sent when the
   * uplink starts and when a reload changes it; realtime data waits behind it in the queue.
   */
  baseData: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  transport: uplinkTransportSchema,
  /** Which points go up and under which code. Points not listed are not sent. */
  points: z.array(uplinkPointSchema).min(1),
  /** Realtime snapshot: the latest value of every mapped point, this often. */
  snapshotPeriod: durationSchema.default(60_000),
  heartbeatPeriod: durationSchema.default(60_000),
  /** A snapshot larger than this is split into several realtime messages. */
  maxItemsPerMessage: z.number().int().min(1).max(100_000).default(500),
  /** Which alarm events go up: raise and clear only (`transitions`) or every state change incl. acknowledgements. */
  alarmEvents: z.enum(['transitions', 'all']).default('transitions'),
  queue: z
    .strictObject({
      /** Upper bound of queued payload bytes; beyond it realtime snapshots are thinned (alarms never). */
      maxBytes: sizeSchema.default(1_000_000_000),
      /** Realtime snapshots and heartbeats older than this are dropped (alarms never). */
      maxAge: durationSchema.default(30 * 86_400_000),
    })
    .default({ maxBytes: 1_000_000_000, maxAge: 30 * 86_400_000 }),
  /** Backlog messages per second after an outage, so the platform is not flooded (0: as fast as acks come). */
  replayRate: z.number().nonnegative().default(20),
  retry: z
    .strictObject({
      initialDelay: durationSchema.default(1000),
      maxDelay: durationSchema.default(60_000),
    })
    .default({ initialDelay: 1000, maxDelay: 60_000 }),
  /** Failing this long raises uplink:LINK_DOWN. */
  linkDownAlarmAfter: durationSchema.default(60_000),
  /**
   * A message the platform refuses (an error code in its answer, HTTP 400/413/422) this many times
   * in a row goes to the dead-letter table (uplink_dead_letter) if the platform then accepts the
   * next message: it is that message, not the link, that is wrong, and it must not hold up the rest.
   * While the platform refuses everything (a wrong appsecret) nothing is dead-lettered.
   */
  deadLetterAfter: z.number().int().min(1).default(3),
});
export type UplinkSection = z.infer<typeof uplinkSectionSchema>;
export type UplinkSectionInput = z.input<typeof uplinkSectionSchema>;

/** A target's name: part of its health point, alarm ids, metric label and queue file name. */
export const UPLINK_TARGET_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** One of several uplink targets: a full uplink section plus its name. */
export const uplinkTargetSchema = uplinkSectionSchema.extend({
  /** e.g. province, county: gateway.uplink.<name>.link_up, uplink.<name>:LINK_DOWN, <dataDir>/uplink-<name>.db. */
  name: z.string().regex(UPLINK_TARGET_NAME, 'expected a target name of lower-case letters, digits and _ (at most 32), starting with a letter, e.g. province'),
});
export type UplinkTarget = z.infer<typeof uplinkTargetSchema>;

/**
 * Several uplink targets (province over HTTP+SM4, county over MQTT …). Each runs its own sink with
 * its own durable queue, credentials, health point and alarms, so one target's outage never delays
 * another.
 */
export const uplinkTargetsSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  targets: z.array(uplinkTargetSchema).min(1),
});

/** `uplink:` is one target (the original form) or `{ targets: [...] }`. */
export const uplinkConfigSchema = z.union([uplinkSectionSchema, uplinkTargetsSectionSchema]);
export type UplinkConfig = z.infer<typeof uplinkConfigSchema>;

/** One configured target: `name` is undefined for the single-section form (its ids stay unprefixed). */
export interface ResolvedUplinkTarget {
  name: string | undefined;
  config: UplinkSection;
  /** Where it sits in the config, for error paths. */
  path: (string | number)[];
}

/** The enabled targets of an uplink section, in config order. */
export function uplinkTargets(uplink: UplinkConfig | undefined): ResolvedUplinkTarget[] {
  if (!uplink || !uplink.enabled) return [];
  if (!('targets' in uplink)) return [{ name: undefined, config: uplink, path: ['uplink'] }];
  return uplink.targets.flatMap((t, i) => (t.enabled ? [{ name: t.name, config: t, path: ['uplink', 'targets', i] }] : []));
}

export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-checks zod cannot do inside the section: mapped points must exist, point ids and codes
 * must be unique. Call from the top-level superRefine with the config's point ids.
 */
export function uplinkConfigProblems(
  uplink: UplinkConfig | undefined,
  pointIds: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  /** Appended to "unknown point", e.g. ' (did you mean "x"?)'. */
  hint: (pointId: string) => string = () => '',
): ConfigProblem[] {
  if (!uplink) return [];
  if ('targets' in uplink) {
    const problems: ConfigProblem[] = [];
    const names = new Map<string, number>();
    uplink.targets.forEach((t, i) => {
      const prev = names.get(t.name);
      if (prev !== undefined) problems.push({ path: ['uplink', 'targets', i, 'name'], message: `uplink target "${t.name}" is named twice (also uplink.targets[${prev}])` });
      else names.set(t.name, i);
      for (const p of sectionProblems(t, pointIds, hint)) problems.push({ path: ['uplink', 'targets', i, ...p.path.slice(1)], message: p.message });
    });
    return problems;
  }
  return sectionProblems(uplink, pointIds, hint);
}

function sectionProblems(uplink: UplinkSection, pointIds: ReadonlySet<string> | ReadonlyMap<string, unknown>, hint: (pointId: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seenPoint = new Map<string, number>();
  const seenCode = new Map<string, number>();
  uplink.points.forEach((p, i) => {
    if (!pointIds.has(p.point)) problems.push({ path: ['uplink', 'points', i, 'point'], message: `unknown point "${p.point}"${hint(p.point)}` });
    const prevPoint = seenPoint.get(p.point);
    if (prevPoint !== undefined) problems.push({ path: ['uplink', 'points', i, 'point'], message: `point "${p.point}" is mapped twice (also uplink.points[${prevPoint}])` });
    else seenPoint.set(p.point, i);
    const prevCode = seenCode.get(p.code);
    if (prevCode !== undefined) problems.push({ path: ['uplink', 'points', i, 'code'], message: `platform code "${p.code}" is used twice (also uplink.points[${prevCode}])` });
    else seenCode.set(p.code, i);
  });
  problems.push(...platformCodeProblems(uplink));
  return problems;
}

/** Equipment types and location types must be known codes (or added in codeLists); references must resolve. */
function platformCodeProblems(uplink: UplinkSection): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [list, known] of [['equipmentTypes', EQUIPMENT_TYPE_CODES], ['locationTypes', CO_LOCATION_TYPE_CODES]] as const) {
    for (const [code, name] of Object.entries(uplink.codeLists[list])) {
      const knownName = (known as Record<string, string>)[code];
      if (knownName !== undefined && knownName !== name) problems.push({ path: ['uplink', 'codeLists', list, code], message: `code ${code} is already known as "${knownName}"; an addition may not rename it` });
    }
  }
  const equipmentTypes = extendCodeList(EQUIPMENT_TYPE_CODES, uplink.codeLists.equipmentTypes);
  const locationTypes = extendCodeList(CO_LOCATION_TYPE_CODES, uplink.codeLists.locationTypes);
  const equipment = new Map<string, { index: number; type: string }>();
  uplink.equipment.forEach((e, i) => {
    if (equipment.has(e.code)) problems.push({ path: ['uplink', 'equipment', i, 'code'], message: `equipment code "${e.code}" is used twice (also uplink.equipment[${equipment.get(e.code)!.index}])` });
    else equipment.set(e.code, { index: i, type: e.type });
    if (equipmentTypes[e.type] === undefined) problems.push({ path: ['uplink', 'equipment', i, 'type'], message: `unknown equipment type code "${e.type}" (known: ${codeList(equipmentTypes)}); add it under uplink.codeLists.equipmentTypes if the platform's access spec has it` });
  });
  uplink.points.forEach((p, i) => {
    const eq = p.equipment === undefined ? undefined : equipment.get(p.equipment);
    if (p.equipment !== undefined && !eq) problems.push({ path: ['uplink', 'points', i, 'equipment'], message: `unknown equipment "${p.equipment}" (not in uplink.equipment)` });
    if (p.locationType !== undefined && locationTypes[p.locationType] === undefined) {
      problems.push({ path: ['uplink', 'points', i, 'locationType'], message: `unknown location type code "${p.locationType}" (known: ${codeList(locationTypes)}); add it under uplink.codeLists.locationTypes if the platform's access spec has it` });
    }
    if (uplink.baseData.enabled && eq?.type === CO_DETECTOR_EQUIPMENT_TYPE && p.locationType === undefined) {
      problems.push({ path: ['uplink', 'points', i, 'locationType'], message: `a fixed CO detector (equipment type 13) needs its location type code (1001–1007, 2001–2027)` });
    }
  });
  return problems;
}

function codeList(list: Readonly<Record<string, string>>): string {
  return Object.entries(list)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
}
