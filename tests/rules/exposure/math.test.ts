import { describe, expect, it } from 'vitest';
import { CO_TIME_AT_LEVEL_PPM, initialTimeAtLevel, judgeTimeAtLevel, ppmToMgM3, stel, stepTimeAtLevel, twa8h, type MinuteMean } from '../../../rules/exposure/math.js';

const minutes = (...runs: [number, number][]): number[] => runs.flatMap(([n, v]) => Array<number>(n).fill(v));

describe('exposure arithmetic', () => {
  it('8-h TWA: the OSHA example 2 h at 150 + 2 h at 75 + 4 h at 50 ppm gives 81.25 ppm', () => {
    expect(twa8h(minutes([120, 150], [120, 75], [240, 50]))).toBe(81.25);
  });

  it('8-h TWA counts unmeasured minutes as zero and only looks at the last 480 minutes', () => {
    expect(twa8h(minutes([240, 100]))).toBe(50); // 4 h at 100, 4 h nothing
    const withGaps: MinuteMean[] = [...minutes([240, 100]), ...Array<undefined>(240).fill(undefined)];
    expect(twa8h(withGaps)).toBe(50);
    expect(twa8h([...minutes([60, 1000]), ...minutes([480, 10])])).toBe(10); // the 1000 ppm hour has rolled out
  });

  it('STEL: mean of the last 15 one-minute means', () => {
    expect(stel(minutes([10, 0], [5, 300]))).toBe(100);
    expect(stel([...minutes([30, 500]), ...minutes([15, 20])])).toBe(20); // only the last 15 count
    // 40 ppm for 15 min equals a STEL of 40 whatever happened before.
    expect(stel(minutes([15, 40]))).toBe(40);
  });

  it('STEL is unknown below the coverage, and averages the known minutes above it', () => {
    const sparse: MinuteMean[] = [...Array<undefined>(4).fill(undefined), ...minutes([11, 30])];
    expect(stel(sparse)).toBeUndefined(); // 11 of 15 < 80 %
    const enough: MinuteMean[] = [...Array<undefined>(3).fill(undefined), ...minutes([12, 30])];
    expect(stel(enough)).toBe(30);
    expect(stel(minutes([5, 30]))).toBeUndefined(); // after a restart: not yet 12 minutes
  });

  it('CO time at level: 60 min above 24 ppm is allowed, the 61st is not', () => {
    let s = initialTimeAtLevel(CO_TIME_AT_LEVEL_PPM);
    for (let i = 0; i < 60; i++) s = stepTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s, 30);
    expect(judgeTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s).exceeded).toBeUndefined();
    s = stepTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s, 30);
    expect(judgeTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s)).toEqual({ exceeded: { level: 24, maxMs: 3_600_000 }, minutes: 61 });
  });

  it('CO time at level: 31 min above 40, 16 min above 80, any minute above 160', () => {
    const run = (ppm: number, n: number) => {
      let s = initialTimeAtLevel(CO_TIME_AT_LEVEL_PPM);
      for (let i = 0; i < n; i++) s = stepTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s, ppm);
      return judgeTimeAtLevel(CO_TIME_AT_LEVEL_PPM, s);
    };
    expect(run(50, 30).exceeded).toBeUndefined();
    expect(run(50, 31)).toEqual({ exceeded: { level: 40, maxMs: 1_800_000 }, minutes: 31 });
    expect(run(100, 15).exceeded).toBeUndefined();
    expect(run(100, 16)).toEqual({ exceeded: { level: 80, maxMs: 900_000 }, minutes: 16 });
    expect(run(200, 1)).toEqual({ exceeded: { level: 160, maxMs: 0 }, minutes: 1 });
    expect(run(24, 600).exceeded).toBeUndefined(); // ≤ 24 ppm: continuous work allowed
  });

  it('CO time at level: a drop below the level resets its clock, a minute without data does not', () => {
    const L = CO_TIME_AT_LEVEL_PPM;
    let s = initialTimeAtLevel(L);
    for (let i = 0; i < 40; i++) s = stepTimeAtLevel(L, s, 30);
    s = stepTimeAtLevel(L, s, undefined); // detector Bad for a minute: unknown, clock held
    for (let i = 0; i < 21; i++) s = stepTimeAtLevel(L, s, 30);
    expect(judgeTimeAtLevel(L, s).minutes).toBe(61);
    s = stepTimeAtLevel(L, s, 10);
    expect(judgeTimeAtLevel(L, s).exceeded).toBeUndefined();
  });

  it('converts CO ppm to mg/m³ at 25 °C', () => {
    expect(ppmToMgM3(24, 28.01)).toBeCloseTo(27.49, 2);
    expect(ppmToMgM3(24, 28.01, 22.4)).toBeCloseTo(30.01, 2); // the 24 ppm ↔ 30 mg/m³ pair of GBZ
  });
});
