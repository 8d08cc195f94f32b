import { normaliseUnit } from '../presets.js';
import { GB_6222, GBZ_2_1 } from './basis.js';

/**
 * The CO first and second alarms of gas areas in the unit of a point: 24 / 160 ppm, or the pairs
 * commonly applied in mg/m³, 30 / 200 (DOMAIN.md; 24 ppm ↔ 30 mg/m³ uses 22.4 L/mol, not 25 °C).
 */
export function coLimits(unit: string): { first: number; second: number; unit: string } {
  return normaliseUnit(unit) === 'mg/m3' ? { first: 30, second: 200, unit: 'mg/m³' } : { first: 24, second: 160, unit: 'ppm' };
}

export const CO_BASIS = `${GB_6222}; ${GBZ_2_1}`;
export const CO_UNITS = ['ppm', 'mg/m3'] as const;
