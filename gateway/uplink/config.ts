import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import { usccProblem } from '../config/uscc.js';
import { uplinkTransportSchema } from './profiles/registry.js';

/** One mapped point: the gateway's point id and the platform's point code (测点编码). */
export const uplinkPointSchema = z.strictObject({
  point: z.string().min(1),
  code: z.string().min(1),
  /** Unit sent to the platform; default: the point's unit. */
  unit: z.string().optional(),
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
  /** Gateway code issued by the platform; default: gateway.id. */
  gatewayCode: z.string().min(1).optional(),
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

export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-checks zod cannot do inside the section: mapped points must exist, point ids and codes
 * must be unique. Call from the top-level superRefine with the config's point ids.
 */
export function uplinkConfigProblems(
  uplink: UplinkSection | undefined,
  pointIds: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  /** Appended to "unknown point", e.g. ' (did you mean "x"?)'. */
  hint: (pointId: string) => string = () => '',
): ConfigProblem[] {
  if (!uplink) return [];
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
  return problems;
}
