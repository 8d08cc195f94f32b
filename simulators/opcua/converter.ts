import { PlcModel, UNITS, approach, clamp, type ScenarioInfo, type SimSignal } from './model.js';

/** Lance height above the bath while blowing, and the parking (raised) height, m. */
const BLOWING_POSITION = 1.8;
const PARKED_POSITION = 12;
/** Lance travel speed when lifted by the interlock, m/s. */
const LIFT_SPEED = 1.2;
/** Normal inlet–outlet difference of a healthy lance (measurement offsets, small losses), m³/h. */
const NORMAL_DIFF = 1.5;

/**
 * 1# converter PLC (转炉): oxygen-lance oxygen pressure, lance cooling water inlet / outlet flow and
 * their difference (进出水流量差), outlet temperature, lance position, furnace tilt and the interlock
 * armed states (氧枪自动提升, 炉体倾动). Figures are those of a 120 t converter blowing steadily.
 * The interlock is simulated: flow difference above its trip value for 2 s with lance auto-lift
 * armed lifts the lance and closes the oxygen valve.
 */
export class ConverterPlc extends PlcModel {
  readonly id = 'cv1';
  readonly folder = 'CV1';
  readonly title = '1#转炉 PLC';
  readonly signals: readonly SimSignal[] = [
    { key: 'lance_o2_pressure', browseName: 'LanceOxygenPressure', name: '氧枪氧气压力', kind: 'analog', unit: UNITS.MPa, range: { low: 0, high: 1.6 }, decimals: 3 },
    { key: 'lance_cw_inlet_flow', browseName: 'LanceCoolingWaterInletFlow', name: '氧枪冷却水进水流量', kind: 'analog', unit: UNITS.m3h, range: { low: 0, high: 300 }, decimals: 1 },
    { key: 'lance_cw_outlet_flow', browseName: 'LanceCoolingWaterOutletFlow', name: '氧枪冷却水出水流量', kind: 'analog', unit: UNITS.m3h, range: { low: 0, high: 300 }, decimals: 1 },
    { key: 'lance_cw_flow_diff', browseName: 'LanceCoolingWaterFlowDiff', name: '氧枪冷却水进出水流量差', kind: 'analog', unit: UNITS.m3h, range: { low: -50, high: 50 }, decimals: 1 },
    { key: 'lance_cw_outlet_temp', browseName: 'LanceCoolingWaterOutletTemp', name: '氧枪冷却水出水温度', kind: 'analog', unit: UNITS.degC, range: { low: 0, high: 100 }, decimals: 1 },
    { key: 'lance_cw_diff_trip_sp', browseName: 'LanceFlowDiffTripSetpoint', name: '流量差联锁提枪设定值', kind: 'analog', unit: UNITS.m3h, range: { low: 0, high: 50 }, decimals: 1 },
    { key: 'lance_position', browseName: 'LancePosition', name: '氧枪枪位', kind: 'analog', unit: UNITS.m, range: { low: 0, high: 20 }, decimals: 2 },
    { key: 'tilt_angle', browseName: 'FurnaceTiltAngle', name: '炉体倾动角度', kind: 'analog', unit: UNITS.deg, range: { low: -180, high: 360 }, decimals: 1 },
    { key: 'lance_autolift_armed', browseName: 'LanceAutoLiftInterlockArmed', name: '氧枪自动提升联锁投入', kind: 'bool' },
    { key: 'tilt_interlock_armed', browseName: 'TiltInterlockArmed', name: '炉体倾动联锁投入', kind: 'bool' },
    { key: 'lance_interlock_tripped', browseName: 'LanceInterlockTripped', name: '氧枪联锁提枪动作', kind: 'bool' },
  ];
  readonly scenarios: readonly ScenarioInfo[] = [
    {
      name: 'lance-cooling-water-loss',
      description: '1#转炉氧枪漏水：进出水流量差上升、出水温度升高，联锁应自动提枪并切断氧气',
      durationS: 120,
    },
  ];

  /** Water lost inside the lance (a burnt-through tip), m³/h. */
  private leak = 0;
  private tripTimer = 0;

  constructor(seed = 23) {
    super(seed);
    this.state.set('lance_o2_pressure', 0.85);
    this.state.set('lance_cw_inlet_flow', 180);
    this.state.set('lance_cw_outlet_flow', 180 - NORMAL_DIFF);
    this.state.set('lance_cw_flow_diff', NORMAL_DIFF);
    this.state.set('lance_cw_outlet_temp', 38);
    this.state.set('lance_cw_diff_trip_sp', 10);
    this.state.set('lance_position', BLOWING_POSITION);
    this.state.set('tilt_angle', 0);
    this.state.set('lance_autolift_armed', true);
    this.state.set('tilt_interlock_armed', true);
    this.state.set('lance_interlock_tripped', false);
  }

  protected step(dt: number): void {
    const sc = this.scenario?.name === 'lance-cooling-water-loss' ? this.scenario : null;
    // The leak grows 2.5 m³/h per second after a 5 s quiet start, up to 40 m³/h.
    if (sc) this.leak = clamp(2.5 * (sc.elapsedS - 5), 0, 40);

    const inlet = 180 + this.noise(0.8);
    const outlet = inlet - NORMAL_DIFF - this.leak + this.noise(0.4);
    this.state.set('lance_cw_inlet_flow', inlet);
    this.state.set('lance_cw_outlet_flow', Math.max(0, outlet));
    const diff = this.num('lance_cw_inlet_flow') - this.num('lance_cw_outlet_flow');
    this.state.set('lance_cw_flow_diff', diff);

    // Less water through the tip heats the outlet: about 0.5 °C per m³/h lost, lagging 5 s.
    const tempTarget = 38 + 0.5 * this.leak;
    const t = this.num('lance_cw_outlet_temp');
    this.state.set('lance_cw_outlet_temp', t + (tempTarget - t) * Math.min(1, dt / 5) + this.noise(0.1));

    // Auto-lift interlock: flow difference (as the PLC sees the tag, forced or not) above trip for 2 s
    // while armed.
    const seenDiff = this.num('lance_cw_flow_diff');
    const tripped = this.bool('lance_interlock_tripped');
    if (!tripped && this.bool('lance_autolift_armed') && seenDiff > this.num('lance_cw_diff_trip_sp')) {
      this.tripTimer += dt;
      if (this.tripTimer >= 2) this.state.set('lance_interlock_tripped', true);
    } else if (!tripped) {
      this.tripTimer = 0;
    }
    const lifting = this.bool('lance_interlock_tripped');
    this.state.set('lance_position', approach(this.num('lance_position'), lifting ? PARKED_POSITION : BLOWING_POSITION, LIFT_SPEED * dt) + this.noise(0.002));
    const o2Target = lifting ? 0 : 0.85 + this.noise(0.01);
    this.state.set('lance_o2_pressure', Math.max(0, approach(this.num('lance_o2_pressure'), o2Target, 0.5 * dt)));
    this.state.set('tilt_angle', this.noise(0.05));
  }

  protected resetAfterScenario(): void {
    // A new lance is fitted and blowing resumes.
    this.leak = 0;
    this.tripTimer = 0;
    this.state.set('lance_interlock_tripped', false);
  }
}
