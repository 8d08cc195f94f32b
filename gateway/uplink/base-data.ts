import { createHash } from 'node:crypto';
import type { BasePoint } from '../config/point-schema.js';
import { CO_LOCATION_TYPE_CODES, EQUIPMENT_TYPE_CODES, extendCodeList } from '../core/platform-codes.js';
import { resolveLimits } from '../../rules/limits.js';
import type { UplinkSection } from './config.js';
import type { BaseData } from './envelope.js';

export interface BaseDataSource {
  config: UplinkSection;
  enterprise: { code: string; name: string };
  gateway: { code: string; name?: string | undefined };
  /** The gateway's point definition (name, unit, range, limits), when the runtime gives it. */
  pointOf(id: string): BasePoint | undefined;
  unitOf(id: string): string | undefined;
}

/**
 * The base data (基础数据) document from the config: enterprise, gateway, equipment with their type
 * codes, and one target per mapped point with its code, name, unit, range, LL/L/H/HH limits (as
 * resolved, presets included), location type and 位号. Pure: the same config gives the same
 * document and fingerprint, so a reload that changes nothing registers nothing.
 */
export function buildBaseData(src: BaseDataSource): BaseData {
  const { config } = src;
  const equipmentTypes = extendCodeList(EQUIPMENT_TYPE_CODES, config.codeLists.equipmentTypes);
  const locationTypes = extendCodeList(CO_LOCATION_TYPE_CODES, config.codeLists.locationTypes);
  const doc: Omit<BaseData, 'fingerprint'> = {
    enterprise: { code: src.enterprise.code, name: src.enterprise.name },
    gateway: { code: src.gateway.code, ...(src.gateway.name ? { name: src.gateway.name } : {}) },
    equipment: config.equipment.map((e) => ({ code: e.code, name: e.name, type: e.type, typeName: equipmentTypes[e.type] ?? e.type })),
    targets: config.points.map((m) => {
      const p = src.pointOf(m.point);
      const limits: BaseData['targets'][number]['limits'] = {};
      if (p) for (const l of resolveLimits(p).limits) limits[l.level] = l.value;
      return {
        code: m.code,
        name: m.name ?? p?.name ?? m.code,
        unit: m.unit ?? (p?.unit || src.unitOf(m.point)) ?? '',
        ...(m.equipment !== undefined ? { equipmentCode: m.equipment } : {}),
        ...(m.tag !== undefined ? { tag: m.tag } : {}),
        ...(m.locationType !== undefined ? { locationType: m.locationType, locationTypeName: locationTypes[m.locationType] ?? m.locationType } : {}),
        ...(p?.range ? { range: { low: p.range.low, high: p.range.high } } : {}),
        limits,
      };
    }),
  };
  return { fingerprint: baseDataFingerprint(doc), ...doc };
}

/** sha256 of the document's canonical JSON (keys sorted), so key order never changes it. */
export function baseDataFingerprint(doc: Omit<BaseData, 'fingerprint'>): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
