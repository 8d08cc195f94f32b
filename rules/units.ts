/**
 * Gas concentration units. mg/m³ = ppm × M / Vm with Vm = 24.45 L/mol, the molar volume of an ideal
 * gas at 25 °C and 101.325 kPa (the convention of occupational exposure limits). Molar masses in
 * g/mol.
 */
export const MOLAR_VOLUME_25C = 24.45;

export const MOLAR_MASS = {
  CO: 28.01,
  NH3: 17.03,
  H2S: 34.08,
} as const;
export type Gas = keyof typeof MOLAR_MASS;

export function ppmToMgPerM3(ppm: number, gas: Gas): number {
  return (ppm * MOLAR_MASS[gas]) / MOLAR_VOLUME_25C;
}

export function mgPerM3ToPpm(mg: number, gas: Gas): number {
  return (mg * MOLAR_VOLUME_25C) / MOLAR_MASS[gas];
}

/** A limit in mg/m³ expressed in the unit of a point (ppm or mg/m³), rounded to 0.1. */
export function limitInUnit(mgPerM3: number, gas: Gas, unit: 'ppm' | 'mg/m3'): number {
  const v = unit === 'ppm' ? mgPerM3ToPpm(mgPerM3, gas) : mgPerM3;
  return Math.round(v * 10) / 10;
}
