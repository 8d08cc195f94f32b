import { describe, expect, it } from 'vitest';
import { limitInUnit, mgPerM3ToPpm, ppmToMgPerM3 } from '../../rules/units.js';
import { LIMIT_PRESETS } from '../../rules/presets.js';

// Golden values: mg/m³ = ppm × M / 24.45 (25 °C, 101.325 kPa).
describe('gas unit conversion', () => {
  it.each([
    ['NH3', 20, 28.71],
    ['NH3', 40, 57.43],
    ['NH3', 30, 43.07],
    ['H2S', 10, 7.17],
    ['CO', 20, 17.46],
    ['CO', 30, 26.19],
  ] as const)('%s %d mg/m³ = %d ppm', (gas, mg, ppm) => {
    expect(mgPerM3ToPpm(mg, gas)).toBeCloseTo(ppm, 2);
    expect(ppmToMgPerM3(mgPerM3ToPpm(mg, gas), gas)).toBeCloseTo(mg, 9);
  });

  it('CO 24 ppm is 27.5 mg/m³ at 25 °C (the 30 mg/m³ pair uses 22.4 L/mol)', () => {
    expect(ppmToMgPerM3(24, 'CO')).toBeCloseTo(27.49, 2);
    expect((24 * 28.01) / 22.4).toBeCloseTo(30.01, 2);
  });

  it('limits in a point unit are rounded to 0.1, and the NH3 ppm preset matches', () => {
    expect(limitInUnit(20, 'NH3', 'ppm')).toBe(28.7);
    expect(limitInUnit(40, 'NH3', 'ppm')).toBe(57.4);
    expect(limitInUnit(20, 'NH3', 'mg/m3')).toBe(20);
    expect([LIMIT_PRESETS.NH3_PPM.H, LIMIT_PRESETS.NH3_PPM.HH]).toEqual([limitInUnit(20, 'NH3', 'ppm'), limitInUnit(40, 'NH3', 'ppm')]);
  });
});
