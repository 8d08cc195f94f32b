import { z } from 'zod';
import { durationSchema } from '../../gateway/core/duration.js';
import { normaliseUnit } from '../presets.js';
import { CO_LOCATION_CODES, isGatheringRoom, type CoLocationCode } from '../../gateway/core/platform-codes.js';
import { METALLURGY_CO_DETECTORS } from './basis.js';
import { CO_BASIS, CO_UNITS, coLimits } from './co-limits.js';
import { level, packRuleId, type EquipmentPack, type PackFinding, type PackLimits, type PackProblem, type PackRule } from './pack.js';

const locationSchema = z.enum(Object.keys(CO_LOCATION_CODES) as [CoLocationCode, ...CoLocationCode[]]);

const params = z.strictObject({
  /**
   * The places of this plant that need a fixed CO detector: every people-gathering room near gas
   * facilities (1001–1007) and every place where gas may leak or accumulate (2001–2027).
   */
  places: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
        /** Chinese name, e.g. 1#加压机房. */
        name: z.string().min(1),
        /** Steel platform location type code. */
        location: locationSchema,
      }),
    )
    .min(1),
  /** The fixed detectors: a point each, in one of the places. */
  detectors: z.array(z.strictObject({ point: z.string().min(1), place: z.string().min(1) })).default([]),
  /** A detector silent this long × 3 raises its STALE alarm: its data no longer reaches the console. */
  expectedPeriod: durationSchema.default(10_000),
});
export type CoDetectorParams = z.infer<typeof params>;

/** The required places of a CO-detector entry with no detector (pure: `coverage` and findings use it). */
export function uncoveredPlaces(p: CoDetectorParams): CoDetectorParams['places'] {
  const covered = new Set(p.detectors.map((d) => d.place));
  return p.places.filter((pl) => !covered.has(pl.id));
}

export function locationName(code: CoLocationCode): string {
  return CO_LOCATION_CODES[code];
}

/**
 * 固定式一氧化碳报警器 (device type 13) at the steel platform's location types: CO first and second
 * alarms (24 / 160 ppm or 30 / 200 mg/m³) on every detector, a STALE alarm when a detector stops
 * reporting, and a finding for every required place without a detector (判定标准 第四条(六)).
 * Whether the alarms reach a 24-hour staffed console is `coverage`'s job: it needs alarms.staffedAreas.
 */
export const coDetectorsPack: EquipmentPack<typeof params> = {
  type: 'co-detectors',
  name: '固定式一氧化碳报警器',
  deviceTypeCode: '13',
  indicators: {},
  params,
  checks: {
    'co-limits': '一氧化碳一级/二级报警',
    'co-stale': '报警器数据中断',
    'place-uncovered': '应设置报警器的场所未设置',
  },
  problems(input) {
    const { params: p } = input;
    const out: PackProblem[] = [];
    const placeIds = new Set<string>();
    p.places.forEach((pl, i) => {
      if (placeIds.has(pl.id)) out.push({ path: ['params', 'places', i, 'id'], message: `duplicate place id "${pl.id}"` });
      placeIds.add(pl.id);
    });
    const seen = new Set<string>();
    p.detectors.forEach((d, i) => {
      if (!placeIds.has(d.place)) out.push({ path: ['params', 'detectors', i, 'place'], message: `unknown place "${d.place}"; places: ${[...placeIds].join(', ')}` });
      if (seen.has(d.point)) out.push({ path: ['params', 'detectors', i, 'point'], message: `detector point "${d.point}" listed twice` });
      seen.add(d.point);
      try {
        const unit = input.point(d.point).unit;
        if (!CO_UNITS.some((u) => normaliseUnit(u) === normaliseUnit(unit))) out.push({ path: ['params', 'detectors', i, 'point'], message: `CO detector "${d.point}" must read ppm or mg/m³, has "${unit}"` });
      } catch {
        out.push({ path: ['params', 'detectors', i, 'point'], message: `unknown point "${d.point}"` });
      }
    });
    return out;
  },
  expand(input) {
    const { id, name, params: p } = input;
    const places = new Map(p.places.map((pl) => [pl.id, pl]));
    const limits: PackLimits[] = [];
    const rules: PackRule[] = [];
    p.detectors.forEach((d, i) => {
      const place = places.get(d.place)!;
      const co = coLimits(input.point(d.point).unit);
      const where = `${place.name}(${locationName(place.location)})`;
      const people = isGatheringRoom(place.location) ? '人员聚集场所' : '煤气泄漏积聚场所';
      limits.push({
        check: 'co-limits',
        point: d.point,
        path: ['params', 'detectors', i, 'point'],
        limits: {
          H: level(co.first, 3, `${where}一氧化碳一级报警：${people}煤气泄漏，人员须撤离并查漏`, CO_BASIS),
          HH: level(co.second, 4, `${where}一氧化碳二级报警：${people}一氧化碳浓度可致急性中毒，立即撤离`, CO_BASIS),
        },
      });
      rules.push({
        check: 'co-stale',
        rule: {
          id: packRuleId(id, `co-stale.${i}`),
          kind: 'stale',
          point: d.point,
          expectedPeriod: p.expectedPeriod,
          factor: 3,
          severity: 3,
          message: `${where}固定式一氧化碳报警器数据中断：泄漏时值守人员将收不到报警`,
          basis: METALLURGY_CO_DETECTORS,
        },
      });
    });
    const findings: PackFinding[] = uncoveredPlaces(p).map((pl) => ({
      check: 'place-uncovered',
      severity: 4,
      message: `${name}: ${pl.name}(${pl.location} ${locationName(pl.location)})未设置固定式一氧化碳报警器：属重大事故隐患`,
      basis: METALLURGY_CO_DETECTORS,
    }));
    return { limits, rules, findings };
  },
};
