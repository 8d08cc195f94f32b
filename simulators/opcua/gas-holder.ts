import { PlcModel, UNITS, clamp, type ScenarioInfo, type SimSignal } from './model.js';

/**
 * 1# gas holder PLC (煤气柜, a dry piston holder of about 150,000 m³): holder level (柜位), gas pressure,
 * piston tilt (活塞倾斜, the spread of the piston's corner heights), piston speed and CO above the
 * piston (活塞上部, location type 2019), where gas escaping past the seal collects.
 */
export class GasHolderPlc extends PlcModel {
  readonly id = 'gh1';
  readonly folder = 'GH1';
  readonly title = '1#煤气柜 PLC';
  readonly signals: readonly SimSignal[] = [
    { key: 'holder_level', browseName: 'HolderLevel', name: '煤气柜柜位', kind: 'analog', unit: UNITS.m, range: { low: 0, high: 80 }, decimals: 2 },
    { key: 'holder_pressure', browseName: 'HolderPressure', name: '煤气柜压力', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 10 }, decimals: 2 },
    { key: 'piston_tilt', browseName: 'PistonTilt', name: '活塞倾斜', kind: 'analog', unit: UNITS.mm, range: { low: 0, high: 500 }, decimals: 0 },
    { key: 'piston_speed', browseName: 'PistonSpeed', name: '活塞速度', kind: 'analog', unit: UNITS.mPerMin, range: { low: -5, high: 5 }, decimals: 2 },
    { key: 'co_above_piston', browseName: 'CoAbovePiston', name: '活塞上部一氧化碳浓度', kind: 'analog', unit: UNITS.ppm, range: { low: 0, high: 1000 }, decimals: 1 },
  ];
  readonly scenarios: readonly ScenarioInfo[] = [
    {
      name: 'gas-holder-piston-tilt',
      description: '1#煤气柜活塞倾斜增大、运行速度波动，活塞上部一氧化碳浓度上升（密封泄漏）',
      durationS: 90,
    },
  ];

  private timeS = 0;

  constructor(seed = 37) {
    super(seed);
    this.state.set('holder_level', 35);
    this.state.set('holder_pressure', 3.2);
    this.state.set('piston_tilt', 25);
    this.state.set('piston_speed', 0);
    this.state.set('co_above_piston', 2);
  }

  protected step(dt: number): void {
    this.timeS += dt;
    const sc = this.scenario?.name === 'gas-holder-piston-tilt' ? this.scenario : null;
    const t = sc?.elapsedS ?? 0;

    // Level swings slowly with the balance of gas make and use (±2 m over 30 min, under 0.5 m/min).
    const level = this.num('holder_level');
    const levelTarget = 35 + 2 * Math.sin((2 * Math.PI * this.timeS) / 1800);
    // A sticking piston moves in jerks: speed oscillates during the scenario.
    const jerk = sc ? 1.2 * Math.sin(t * 1.7) * Math.min(1, t / 10) : 0;
    const newLevel = clamp(level + (levelTarget - level) * Math.min(1, dt / 30) + (jerk / 60) * dt, 0, 80);
    this.state.set('holder_level', newLevel);
    this.state.set('piston_speed', ((newLevel - level) / Math.max(dt, 1e-3)) * 60 + this.noise(0.03));
    this.state.set('holder_pressure', 3.2 + 0.1 * jerk + this.noise(0.02));

    // Tilt grows 5 mm/s from 25 mm after a 5 s start, up to 200 mm; it recovers after the scenario.
    const tiltTarget = sc ? clamp(25 + 5 * (t - 5), 25, 200) : 25;
    const tilt = this.num('piston_tilt');
    this.state.set('piston_tilt', Math.max(0, tilt + (tiltTarget - tilt) * Math.min(1, dt * (sc ? 2 : 0.1)) + this.noise(1.5)));

    // A tilted piston opens the seal: CO above the piston follows the tilt beyond 60 mm.
    const coTarget = 2 + Math.max(0, this.num('piston_tilt') - 60) * 0.6;
    const co = this.num('co_above_piston');
    this.state.set('co_above_piston', Math.max(0, co + (coTarget - co) * Math.min(1, dt / 4) + this.noise(0.3)));
  }

  protected resetAfterScenario(): void {
    // Tilt and CO recover through `step` (slowly, as after re-levelling the piston).
  }
}
