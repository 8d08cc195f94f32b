import { describe, expect, it } from 'vitest';
import { BlastFurnacePlc } from '../../../simulators/opcua/blast-furnace.js';
import { ConverterPlc } from '../../../simulators/opcua/converter.js';
import { GasHolderPlc } from '../../../simulators/opcua/gas-holder.js';
import type { PlcModel } from '../../../simulators/opcua/model.js';

/** Runs a model for `seconds` in 0.25 s steps, recording a signal. */
function run(model: PlcModel, seconds: number, key: string): number[] {
  const out: number[] = [];
  for (let t = 0; t < seconds; t += 0.25) {
    model.tick(0.25);
    out.push(model.value(key) as number);
  }
  return out;
}

describe('blast furnace PLC model', () => {
  it('holds top pressure near its set value in normal operation', () => {
    const bf = new BlastFurnacePlc();
    const p = run(bf, 60, 'top_pressure');
    expect(Math.min(...p)).toBeGreaterThan(212);
    expect(Math.max(...p)).toBeLessThan(228);
    expect(bf.value('relief_valve_position')).toBe(0);
  });

  it('top-pressure excursion: pressure passes the relief set value and the failed valve stays shut', () => {
    const bf = new BlastFurnacePlc();
    bf.startScenario('top-pressure-excursion');
    const p = run(bf, 40, 'top_pressure');
    expect(Math.max(...p)).toBeGreaterThan(bf.value('relief_interlock_sp') as number);
    expect(bf.value('relief_interlock_armed')).toBe(true);
    expect(bf.value('relief_valve_position')).toBe(0);
  });

  it('with a healthy valve the interlock opens it and pressure comes back below the relief set value', () => {
    const bf = new BlastFurnacePlc();
    bf.startScenario('top-pressure-excursion', { reliefValveFails: false });
    const valve = run(bf, 40, 'relief_valve_position');
    expect(Math.max(...valve)).toBeGreaterThan(20);
    expect(Math.max(...run(bf, 5, 'top_pressure'))).toBeLessThan(bf.value('relief_interlock_sp') as number);
    expect(bf.value('top_pressure') as number).toBeLessThan(bf.value('top_pressure_design_max') as number);
  });

  it('returns to normal after the scenario ends', () => {
    const bf = new BlastFurnacePlc();
    bf.startScenario('top-pressure-excursion');
    run(bf, 120, 'top_pressure');
    expect(bf.activeScenario).toBeNull();
    expect(bf.value('top_pressure') as number).toBeLessThan(230);
  });
});

describe('converter PLC model', () => {
  it('lance cooling-water loss: flow difference rises and the armed interlock lifts the lance and cuts oxygen', () => {
    const cv = new ConverterPlc();
    expect(cv.value('lance_cw_flow_diff') as number).toBeLessThan(3);
    cv.startScenario('lance-cooling-water-loss');
    const diff = run(cv, 30, 'lance_cw_flow_diff');
    expect(Math.max(...diff)).toBeGreaterThan(20);
    expect(cv.value('lance_interlock_tripped')).toBe(true);
    expect(cv.value('lance_position') as number).toBeGreaterThan(10);
    expect(cv.value('lance_o2_pressure')).toBe(0);
    expect(cv.value('lance_cw_outlet_temp') as number).toBeGreaterThan(45);
  });

  it('with auto-lift not armed the lance stays in the bath while water leaks (the hazard the alarm must catch)', () => {
    const cv = new ConverterPlc();
    cv.force('lance_autolift_armed', false);
    cv.startScenario('lance-cooling-water-loss');
    run(cv, 30, 'lance_cw_flow_diff');
    expect(cv.value('lance_interlock_tripped')).toBe(false);
    expect(cv.value('lance_position') as number).toBeLessThan(2);
    expect(cv.value('lance_o2_pressure') as number).toBeGreaterThan(0.8);
  });

  it('a forced flow difference trips the interlock as the PLC reads the tag', () => {
    const cv = new ConverterPlc();
    cv.force('lance_cw_flow_diff', 15);
    run(cv, 3, 'lance_position');
    expect(cv.value('lance_interlock_tripped')).toBe(true);
  });

  it('refuses a value of the wrong type and unknown names', () => {
    const cv = new ConverterPlc();
    expect(() => cv.force('lance_autolift_armed', 1)).toThrow(/bool/);
    expect(() => cv.force('no_such_signal', 1)).toThrow(/no signal/);
    expect(() => cv.startScenario('meltdown')).toThrow(/unknown scenario/);
  });
});

describe('gas holder PLC model', () => {
  it('piston tilt grows past 150 mm and CO above the piston rises', () => {
    const gh = new GasHolderPlc();
    gh.startScenario('gas-holder-piston-tilt');
    const tilt = run(gh, 45, 'piston_tilt');
    expect(Math.max(...tilt)).toBeGreaterThan(150);
    expect(gh.value('co_above_piston') as number).toBeGreaterThan(24);
  });

  it('in normal operation tilt stays small and CO near zero', () => {
    const gh = new GasHolderPlc();
    const tilt = run(gh, 60, 'piston_tilt');
    expect(Math.max(...tilt)).toBeLessThan(40);
    expect(gh.value('co_above_piston') as number).toBeLessThan(5);
    expect(Math.abs(gh.value('piston_speed') as number)).toBeLessThan(1);
  });
});
