import { CO_DETECTOR_EQUIPMENT_TYPE, CO_LOCATION_TYPE_CODES, EQUIPMENT_TYPE_CODES, extendCodeList } from '../../gateway/core/platform-codes.js';
import type { BaseData, Envelope } from '../../gateway/uplink/envelope.js';
import { baseDataFingerprint } from '../../gateway/uplink/base-data.js';

/**
 * What a platform knows about each enterprise's gateways from their base data (基础数据): the
 * registered targets. A platform refuses realtime data for targets it was never told about, and
 * refuses base data with codes it does not know.
 */
export class Registrations {
  private readonly targets = new Map<string, Set<string>>();
  /** Every base data document accepted, in order. */
  readonly accepted: BaseData[] = [];
  private readonly equipmentTypes: Readonly<Record<string, string>>;
  private readonly locationTypes: Readonly<Record<string, string>>;

  constructor(extra: { equipmentTypes?: Record<string, string>; locationTypes?: Record<string, string> } = {}) {
    this.equipmentTypes = extendCodeList(EQUIPMENT_TYPE_CODES, extra.equipmentTypes);
    this.locationTypes = extendCodeList(CO_LOCATION_TYPE_CODES, extra.locationTypes);
  }

  private static key(e: Pick<Envelope, 'enterpriseCode' | 'gatewayCode'>): string {
    return `${e.enterpriseCode}/${e.gatewayCode}`;
  }

  /** Why this base data is refused, or undefined. */
  check(e: Envelope): string | undefined {
    const d = e.baseData;
    if (!d) return 'basedata without baseData';
    if (d.enterprise.code !== e.enterpriseCode) return `enterprise.code ${d.enterprise.code} is not the envelope's ${e.enterpriseCode}`;
    if (d.gateway.code !== e.gatewayCode) return `gateway.code ${d.gateway.code} is not the envelope's ${e.gatewayCode}`;
    const { fingerprint, ...rest } = d;
    if (baseDataFingerprint(rest) !== fingerprint) return 'fingerprint does not match the document';
    const equipment = new Map<string, string>();
    for (const q of d.equipment) {
      if (equipment.has(q.code)) return `equipment ${q.code} twice`;
      if (this.equipmentTypes[q.type] === undefined) return `equipment ${q.code}: unknown type code ${q.type}`;
      equipment.set(q.code, q.type);
    }
    const codes = new Set<string>();
    for (const t of d.targets) {
      if (codes.has(t.code)) return `target ${t.code} twice`;
      codes.add(t.code);
      if (t.equipmentCode !== undefined && !equipment.has(t.equipmentCode)) return `target ${t.code}: unknown equipment ${t.equipmentCode}`;
      if (t.locationType !== undefined && this.locationTypes[t.locationType] === undefined) return `target ${t.code}: unknown location type ${t.locationType}`;
      if (t.equipmentCode !== undefined && equipment.get(t.equipmentCode) === CO_DETECTOR_EQUIPMENT_TYPE && t.locationType === undefined) return `target ${t.code}: a fixed CO detector needs its location type`;
      const ordered = (['LL', 'L', 'H', 'HH'] as const).map((l) => t.limits[l]).filter((v): v is number => v !== undefined);
      if (ordered.some((v, i) => i > 0 && v <= ordered[i - 1]!)) return `target ${t.code}: limits not in order LL < L < H < HH`;
    }
    return undefined;
  }

  /** Replaces what the gateway registered before (a new base data is the whole picture). */
  register(e: Envelope): void {
    this.targets.set(Registrations.key(e), new Set(e.baseData!.targets.map((t) => t.code)));
    this.accepted.push(e.baseData!);
  }

  /** Point codes of a realtime message that were never registered by its gateway. */
  unregistered(e: Envelope): string[] {
    const known = this.targets.get(Registrations.key(e));
    return [...new Set(e.items.map((i) => i.pointCode).filter((c) => !known?.has(c)))];
  }
}
