import type { SimSignal } from '../demo-plant.js';

/**
 * A demo scenario: a Modbus device whose signals follow a script that drives every check of an
 * equipment pack, the config that reads it (gateway/config/scenario-<name>.yaml), and the alarms the
 * script must raise (the scenario test checks them in virtual time).
 */
export interface Scenario {
  /** Chinese one-line description printed by the demo. */
  description: string;
  /** Config file name beside demo-plant.yaml. */
  config: string;
  cycleS: number;
  signals: Record<string, SimSignal>;
  /**
   * Points a wireless sensor publishes over MQTT in the simple form (as the demo's device account
   * `demo-sensor`, on gw/<gw>/ingest/demo-sensor), value at scenario time t; undefined: the sensor
   * is silent then (out of radio coverage, powered off). Modbus cannot show silence: a polled device
   * that stops answering still yields readings, of Bad quality, every poll.
   */
  mqtt?: Record<string, (t: number) => number | boolean | undefined>;
  /** Alarm ids the script raises within one cycle, with the second they may first be seen after. */
  expect: { alarmId: string; after: number }[];
}

/** A float32 holding register pair (engineering units, no scaling). */
export function analog(address: number, at: (t: number) => number): SimSignal {
  return { table: 'holding', address, dataType: 'float32', at };
}

/** A coil (written by the PLC as status). */
export function bit(address: number, at: (t: number) => boolean): SimSignal {
  return { table: 'coil', address, dataType: 'bool', at };
}

/** Whether t lies in [from, to). */
export const between = (t: number, from: number, to: number) => t >= from && t < to;
