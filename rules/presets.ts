/**
 * Alarm limits from Chinese standards (../shared/DOMAIN.md). They are defaults an engineer can
 * override field by field in the point's `limits`; the unit is checked against the point's unit so
 * a ppm preset is never applied to a mg/m³ transmitter. Each preset carries its basis, which every
 * alarm of its limits shows.
 */
export interface LimitPreset {
  readonly unit: string;
  readonly description: string;
  readonly basis: string;
  readonly LL?: number;
  readonly L?: number;
  readonly H?: number;
  readonly HH?: number;
}

/** 5.5.2: alarm set values (combustible ≤ 25 / 50 %LEL, toxic ≤ 100 / 200 %OEL, O2 23.5 / 19.5 %VOL); verified, rules/packs/README.md. */
export const GB_T_50493 = 'GB/T 50493-2019《石油化工可燃气体和有毒气体检测报警设计标准》第5.5.2条';
export const GBZ_2_1 = 'GBZ 2.1-2019《工作场所有害因素职业接触限值 第1部分：化学有害因素》';
export const GB_6222 = 'GB 6222-2005《工业企业煤气安全规程》';

export const LIMIT_PRESETS = {
  /** CO in gas areas: 24 ppm (30 mg/m³) first alarm, 160 ppm second alarm (GB 6222, GBZ 2.1). */
  CO_GAS_AREA: { unit: 'ppm', H: 24, HH: 160, description: '煤气区域一氧化碳 GB 6222 / GBZ 2.1', basis: `${GB_6222}; ${GBZ_2_1}` },
  /**
   * The same CO limits for transmitters reading mg/m³: 30 mg/m³ and 200 mg/m³, the pairs as commonly
   * applied (24 ppm ↔ 30 mg/m³ uses 22.4 L/mol, DOMAIN.md), not a conversion at 25 °C.
   */
  CO_GAS_AREA_MG: { unit: 'mg/m3', H: 30, HH: 200, description: '煤气区域一氧化碳 (mg/m³) GB 6222 / GBZ 2.1', basis: `${GB_6222}; ${GBZ_2_1}` },
  /** Combustible gas: first alarm ≤ 25 %LEL, second ≤ 50 %LEL (GB/T 50493-2019). */
  COMBUSTIBLE_LEL: { unit: '%LEL', H: 25, HH: 50, description: '可燃气体 GB/T 50493-2019', basis: GB_T_50493 },
  /**
   * Toxic gas in % of its occupational exposure limit: first alarm ≤ 100 %OEL, second ≤ 200 %OEL
   * (GB/T 50493-2019). For a transmitter that reads %OEL, or a point scaled to it.
   */
  TOXIC_OEL: { unit: '%OEL', H: 100, HH: 200, description: '有毒气体 (%OEL) GB/T 50493-2019', basis: GB_T_50493 },
  /** Oxygen: low 19.5 %VOL, high 23.5 %VOL (GB/T 50493-2019). */
  O2_VOL: { unit: '%VOL', L: 19.5, H: 23.5, description: '氧气 GB/T 50493-2019', basis: GB_T_50493 },
  /** H2S: 10 mg/m³ (GBZ 2.1 MAC), 20 mg/m³. */
  H2S_MG: { unit: 'mg/m3', H: 10, HH: 20, description: '硫化氢 GBZ 2.1', basis: `${GBZ_2_1} 硫化氢 MAC 10 mg/m³` },
  /** NH3: 20 mg/m³ (TWA), 40 mg/m³ (GBZ 2.1). */
  NH3_MG: { unit: 'mg/m3', H: 20, HH: 40, description: '氨 GBZ 2.1', basis: `${GBZ_2_1} 氨 PC-TWA 20 mg/m³, PC-STEL 30 mg/m³` },
  /** NH3 for ppm transmitters: the mg/m³ limits converted at 25 °C (rules/units.ts): 28.7 and 57.4 ppm. */
  NH3_PPM: { unit: 'ppm', H: 28.7, HH: 57.4, description: '氨 (ppm, 由 mg/m³ 按 25 °C 换算) GBZ 2.1', basis: `${GBZ_2_1} 氨 PC-TWA 20 mg/m³, PC-STEL 30 mg/m³` },
} as const satisfies Record<string, LimitPreset>;

export type LimitPresetName = keyof typeof LIMIT_PRESETS;
export const LIMIT_PRESET_NAMES = Object.keys(LIMIT_PRESETS) as [LimitPresetName, ...LimitPresetName[]];

/** Units that mean the same thing but are written differently in the field. */
export function normaliseUnit(unit: string): string {
  return unit.replace(/\s+/g, '').replace('³', '3').replace(/^%vol$/i, '%VOL').replace(/^%lel$/i, '%LEL').toLowerCase();
}
