import { pointDefinitions, suggest, type GatewayConfig } from './schema.js';
import { isGatheringRoom } from '../core/platform-codes.js';
import { resolveLimits } from '../../rules/limits.js';
import type { RuleConfig } from '../../rules/registry.js';
import { HAZCHEM_MONITORING, METALLURGY_CO_DETECTORS } from '../../rules/packs/basis.js';
import { locationName, uncoveredPlaces, type CoDetectorParams } from '../../rules/packs/co-detectors.js';
import { expandEquipment, limitsByPoint, type ExpandedFinding } from '../../rules/packs/expand.js';
import type { PackFinding } from '../../rules/packs/pack.js';

export interface ExpandedLevel {
  level: string;
  value: number;
  severity: number;
  message?: string | undefined;
  basis?: string | undefined;
  /** pack: as the pack made it; point: the point's own limits replaced the pack's level. */
  from: 'pack' | 'point';
}

export interface EquipmentReport {
  id: string;
  type: string;
  name: string;
  limits: Record<string, ExpandedLevel[]>;
  rules: (RuleConfig & { overriddenBy?: string })[];
  findings: PackFinding[];
}

/**
 * What each equipment entry expanded into, with the config's overrides applied: the effective
 * limits of every point a pack put limits on (marking levels the point's own limits replaced), the
 * pack rules (marking those a written rule of the same id replaced), and the findings.
 */
export function expansionReport(config: GatewayConfig): EquipmentReport[] {
  const points = pointDefinitions(config);
  const expansion = expandEquipment(config.equipment, points, suggest);
  const byPoint = limitsByPoint(expansion);
  return config.equipment.map((eq, index) => {
    const limits: Record<string, ExpandedLevel[]> = {};
    for (const [pointId, list] of byPoint) {
      const mine = list.filter((l) => l.index === index);
      if (mine.length === 0) continue;
      const p = points.get(pointId)!;
      const effective = resolveLimits(p).limits;
      limits[pointId] = effective.map((l) => {
        const packLevel = mine.map((m) => m.limits[l.level]).find((x) => x !== undefined);
        const own = p.limits?.[l.level];
        return { level: l.level, value: l.value, severity: l.severity, message: l.message, basis: l.basis, from: packLevel !== undefined && JSON.stringify(own) === JSON.stringify(packLevel) ? 'pack' : 'point' };
      });
    }
    const rules = expansion.rules
      .filter((r) => r.index === index)
      .map((r) => {
        // The effective config holds one rule of this id: the pack's, or the written one that replaced it.
        const effective = config.rules.find((x) => x.id === r.rule.id);
        return effective && JSON.stringify(effective) !== JSON.stringify(r.rule) ? { ...r.rule, overriddenBy: 'rules:' } : r.rule;
      });
    return { id: eq.id, type: eq.type, name: eq.name, limits, rules, findings: expansion.findings.filter((f) => f.index === index).map(stripIndex) };
  });
}

function stripIndex(f: ExpandedFinding): PackFinding {
  return { check: f.check, severity: f.severity, message: f.message, basis: f.basis };
}

export interface CoverageReport {
  /** Required places with no fixed CO detector. */
  uncovered: { equipment: string; place: string; name: string; location: string; locationName: string; gatheringRoom: boolean }[];
  /** Detectors whose alarms go to an area no 24-hour staffed console watches. */
  unstaffed: { equipment: string; point: string; name: string; place: string; area: string }[];
  staffedAreas: string[];
}

/** Fixed CO detector coverage of every `co-detectors` entry (判定标准 第四条(六)). */
export function coverageReport(config: GatewayConfig): CoverageReport {
  const points = pointDefinitions(config);
  const staffed = new Set(config.alarms.staffedAreas);
  const out: CoverageReport = { uncovered: [], unstaffed: [], staffedAreas: [...staffed] };
  for (const eq of config.equipment) {
    if (eq.type !== 'co-detectors') continue;
    const p = eq.params as CoDetectorParams;
    for (const pl of uncoveredPlaces(p)) {
      out.uncovered.push({ equipment: eq.id, place: pl.id, name: pl.name, location: pl.location, locationName: locationName(pl.location), gatheringRoom: isGatheringRoom(pl.location) });
    }
    const places = new Map(p.places.map((pl) => [pl.id, pl]));
    for (const d of p.detectors) {
      const point = points.get(d.point)!;
      if (!staffed.has(point.area)) out.unstaffed.push({ equipment: eq.id, point: d.point, name: point.name, place: places.get(d.place)?.name ?? d.place, area: point.area });
    }
  }
  return out;
}

/**
 * Everything about the plant as configured that a standard names as a hidden danger: the packs'
 * findings, CO detectors no staffed console watches, and records shorter than 30 days where a major
 * hazard source is declared.
 */
export function configFindings(config: GatewayConfig): (PackFinding & { equipment?: string })[] {
  const out: (PackFinding & { equipment?: string })[] = [];
  for (const r of expansionReport(config)) for (const f of r.findings) out.push({ ...f, equipment: r.id });
  for (const u of coverageReport(config).unstaffed) {
    out.push({ equipment: u.equipment, check: 'co-unstaffed', severity: 4, message: `${u.place} 固定式一氧化碳报警器 ${u.point} 的报警区域 "${u.area}" 不在 alarms.staffedAreas 中：监测数据未接入24小时有人值守场所`, basis: METALLURGY_CO_DETECTORS });
  }
  const tanks = config.equipment.filter((e) => e.type === 'hazchem-tank');
  if (tanks.length > 0) {
    const DAYS_30 = 30 * 86_400_000;
    if (config.storage.journalRetention < DAYS_30) {
      out.push({ equipment: tanks[0]!.id, check: 'records-30d', severity: 3, message: '重大危险源报警记录保存不足30天：storage.journalRetention 应不少于 30d', basis: HAZCHEM_MONITORING });
    }
    // The readings are recorded by the local history (gateway.db) or by InfluxDB, whose retention
    // policy lives on the server and is the operator's to set to 30 days or more.
    const localHistory = config.history.enabled && config.history.retention >= DAYS_30;
    if (!localHistory && !config.influx) {
      const why = config.history.enabled ? `本地历史 history.retention 不足30天` : '本地历史 history 未启用';
      out.push({ equipment: tanks[0]!.id, check: 'records-30d', severity: 3, message: `重大危险源温度、压力、液位等数据未保存30天：${why}，且未配置 influx:（其保留策略应不少于30天）`, basis: HAZCHEM_MONITORING });
    }
  }
  return out;
}

