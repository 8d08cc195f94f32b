import { PlcModel, UNITS, approach, clamp, type ScenarioInfo, type SimSignal } from './model.js';

const STAVES = 8;

/**
 * 1# blast furnace PLC (高炉): top pressure with its set value, design maximum and the relief-valve
 * interlock (放散阀联锁), hot-blast pressure, cooling water and stave temperatures. Figures are those
 * of a 2,500 m³ furnace: top pressure about 220 kPa(g), hot blast about 380 kPa(g).
 */
export class BlastFurnacePlc extends PlcModel {
  readonly id = 'bf1';
  readonly folder = 'BF1';
  readonly title = '1#高炉 PLC';
  readonly signals: readonly SimSignal[] = [
    { key: 'top_pressure', browseName: 'TopPressure', name: '炉顶压力', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 400 }, decimals: 1 },
    { key: 'top_pressure_sp', browseName: 'TopPressureSetpoint', name: '炉顶压力设定值', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 400 }, decimals: 1 },
    { key: 'top_pressure_design_max', browseName: 'TopPressureDesignMax', name: '炉顶设计最高压力', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 400 }, decimals: 1 },
    { key: 'relief_valve_position', browseName: 'ReliefValvePosition', name: '炉顶放散阀开度', kind: 'analog', unit: UNITS.percent, range: { low: 0, high: 100 }, decimals: 1 },
    { key: 'relief_interlock_armed', browseName: 'ReliefInterlockArmed', name: '炉顶压力与放散阀联锁投入', kind: 'bool' },
    { key: 'relief_interlock_sp', browseName: 'ReliefInterlockSetpoint', name: '联锁放散压力设定值', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 400 }, decimals: 1 },
    { key: 'hot_blast_pressure', browseName: 'HotBlastPressure', name: '热风压力', kind: 'analog', unit: UNITS.kPa, range: { low: 0, high: 600 }, decimals: 1 },
    { key: 'cooling_water_flow', browseName: 'CoolingWaterFlow', name: '炉体冷却水总流量', kind: 'analog', unit: UNITS.m3h, range: { low: 0, high: 6000 }, decimals: 0 },
    { key: 'cooling_water_inlet_temp', browseName: 'CoolingWaterInletTemp', name: '冷却水进水温度', kind: 'analog', unit: UNITS.degC, range: { low: 0, high: 100 }, decimals: 1 },
    { key: 'cooling_water_outlet_temp', browseName: 'CoolingWaterOutletTemp', name: '冷却水出水温度', kind: 'analog', unit: UNITS.degC, range: { low: 0, high: 100 }, decimals: 1 },
    { key: 'stave_temps', browseName: 'StaveTemperatures', name: '冷却壁温度', kind: 'analogArray', length: STAVES, unit: UNITS.degC, range: { low: 0, high: 800 }, decimals: 1 },
  ];
  readonly scenarios: readonly ScenarioInfo[] = [
    {
      name: 'top-pressure-excursion',
      description: '1#高炉炉顶压力冲高超过联锁放散压力设定值，放散阀拒动未打开',
      durationS: 75,
    },
  ];

  /** Pressure added by the scenario's upset (a burden slip / gas surge), kPa. */
  private upset = 0;

  constructor(seed = 11) {
    super(seed);
    this.state.set('top_pressure', 220);
    this.state.set('top_pressure_sp', 220);
    this.state.set('top_pressure_design_max', 300);
    this.state.set('relief_valve_position', 0);
    this.state.set('relief_interlock_armed', true);
    this.state.set('relief_interlock_sp', 260);
    this.state.set('hot_blast_pressure', 380);
    this.state.set('cooling_water_flow', 4200);
    this.state.set('cooling_water_inlet_temp', 35);
    this.state.set('cooling_water_outlet_temp', 42);
    this.state.set('stave_temps', Array.from({ length: STAVES }, (_, i) => 58 + i * 2.5));
  }

  protected step(dt: number): void {
    const sc = this.scenario?.name === 'top-pressure-excursion' ? this.scenario : null;
    const valveFails = sc ? sc.options['reliefValveFails'] !== false : false;

    // Upset: +4 kPa/s for 20 s (past the 260 kPa relief set value at about 10 s, near the 300 kPa
    // design maximum at 20 s), held 25 s, then the operators cut the blast and it decays.
    if (sc) {
      const t = sc.elapsedS;
      const target = t < 20 ? 4 * t : t < 45 ? 80 : Math.max(0, 80 - 4 * (t - 45));
      this.upset = target;
    } else {
      this.upset = approach(this.upset, 0, 4 * dt);
    }

    // Relief interlock: armed and top pressure above its set value → open the relief valve (travel
    // 25 %/s); a sticking valve in the scenario stays shut.
    const p = this.num('top_pressure');
    const armed = this.bool('relief_interlock_armed');
    const demandOpen = armed && p > this.num('relief_interlock_sp');
    const valve = this.num('relief_valve_position');
    const valveTarget = valveFails ? 0 : demandOpen ? 100 : p < this.num('top_pressure_sp') + 10 ? 0 : valve;
    const newValve = approach(valve, valveTarget, 25 * dt);
    this.state.set('relief_valve_position', newValve);

    // Top pressure: first-order towards set value + upset, less what the open relief valve vents.
    const sp = this.num('top_pressure_sp');
    const vented = (newValve / 100) * 120;
    const target = Math.max(0, sp + this.upset - vented);
    this.state.set('top_pressure', clamp(p + (target - p) * Math.min(1, 1.5 * dt) + this.noise(0.8), 0, 400));

    const hb = this.num('hot_blast_pressure');
    this.state.set('hot_blast_pressure', hb + (this.num('top_pressure') + 160 - hb) * Math.min(1, dt) + this.noise(0.6));

    this.state.set('cooling_water_flow', 4200 + this.noise(15));
    this.state.set('cooling_water_inlet_temp', 35 + this.noise(0.1));
    this.state.set('cooling_water_outlet_temp', 42 + this.noise(0.15));
    const staves = this.value('stave_temps') as number[];
    this.state.set('stave_temps', staves.map((s, i) => s + (58 + i * 2.5 - s) * 0.05 * dt + this.noise(0.2)));
  }

  protected resetAfterScenario(): void {
    // The upset decays in `step`; the relief valve follows the interlock again.
  }
}
