/**
 * Alarm limits from Chinese standards (../shared/DOMAIN.md). They are defaults an engineer can
 * override field by field in the point's `limits`; the unit is checked against the point's unit so
 * a ppm preset is never applied to a mg/m³ transmitter.
 */
export interface LimitPreset {
  readonly unit: string;
  readonly description: string;
  readonly LL?: number;
  readonly L?: number;
  readonly H?: number;
  readonly HH?: number;
}

export const LIMIT_PRESETS = {
  /** CO in gas areas: 24 ppm (30 mg/m³) first alarm, 160 ppm second alarm (GB 6222, GBZ 2.1). */
  CO_GAS_AREA: { unit: 'ppm', H: 24, HH: 160, description: '煤气区域一氧化碳 GB 6222 / GBZ 2.1' },
  /** Combustible gas: first alarm ≤ 25 %LEL, second ≤ 50 %LEL (GB/T 50493-2019). */
  COMBUSTIBLE_LEL: { unit: '%LEL', H: 25, HH: 50, description: '可燃气体 GB/T 50493-2019' },
  /** Oxygen: low 19.5 %VOL, high 23.5 %VOL (GB/T 50493-2019). */
  O2_VOL: { unit: '%VOL', L: 19.5, H: 23.5, description: '氧气 GB/T 50493-2019' },
  /** H2S: 10 mg/m³ (GBZ 2.1 MAC), 20 mg/m³. */
  H2S_MG: { unit: 'mg/m3', H: 10, HH: 20, description: '硫化氢 GBZ 2.1' },
  /** NH3: 20 mg/m³ (TWA), 40 mg/m³ (GBZ 2.1). */
  NH3_MG: { unit: 'mg/m3', H: 20, HH: 40, description: '氨 GBZ 2.1' },
} as const satisfies Record<string, LimitPreset>;

export type LimitPresetName = keyof typeof LIMIT_PRESETS;
export const LIMIT_PRESET_NAMES = Object.keys(LIMIT_PRESETS) as [LimitPresetName, ...LimitPresetName[]];

/** Units that mean the same thing but are written differently in the field. */
export function normaliseUnit(unit: string): string {
  return unit.replace(/\s+/g, '').replace('³', '3').replace(/^%vol$/i, '%VOL').replace(/^%lel$/i, '%LEL').toLowerCase();
}
