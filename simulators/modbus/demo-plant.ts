import type { ModbusDataType, ModbusTable, WordOrder } from '../../adapters/modbus/config.js';
import { RegisterServer } from './register-server.js';

/** One simulated signal and where the demo config expects it (gateway/config/demo-plant.yaml). */
export interface SimSignal {
  table: ModbusTable;
  address: number;
  dataType: ModbusDataType;
  order?: WordOrder;
  /** Engineering value → raw register value (inverse of the config's scale). */
  toRaw?: (eng: number) => number;
  /** Value at scenario time t seconds (within one cycle). */
  at(t: number): number | boolean;
}

export const ramp = (t: number, t0: number, t1: number, v0: number, v1: number) => (t <= t0 ? v0 : t >= t1 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
/** Deterministic small noise so repeated runs look alike and tests are reproducible. */
const wobble = (t: number, amp: number, f = 1.3) => amp * Math.sin(t * f) * Math.cos(t * 0.37);

/** 0–1000 ppm over 0–10000 counts (0.1 ppm resolution), as many CO controllers report. */
const ppmToCounts = (ppm: number) => Math.max(0, Math.min(10000, Math.round(ppm * 10)));

/**
 * The demo plant's Modbus signals. The scenario repeats every CYCLE_S seconds:
 * 10–25 s booster-room CO climbs past 24 and 160 ppm, holds, falls back by 55 s;
 * 15–35 s the dust collector's ash-hopper temperature climbs past 70 and 90 °C;
 * 20–35 s the rotary airlock reports a fault; 30–50 s gas-holder-area CO touches 30 ppm.
 */
export const CYCLE_S = 120;

export const DEMO_SIGNALS: Record<string, SimSignal> = {
  'booster.co': {
    table: 'holding', address: 0, dataType: 'uint16', toRaw: ppmToCounts,
    at: (t) => Math.max(0, (t < 40 ? ramp(t, 10, 25, 4, 185) : ramp(t, 40, 55, 185, 4)) + wobble(t, 1.5)),
  },
  'gasholder.co': {
    table: 'holding', address: 1, dataType: 'uint16', toRaw: ppmToCounts,
    at: (t) => Math.max(0, (t < 40 ? ramp(t, 30, 38, 3, 30) : ramp(t, 42, 50, 30, 3)) + wobble(t, 0.8, 0.9)),
  },
  'dc1.hopper_temp': {
    table: 'holding', address: 10, dataType: 'float32', order: 'CDAB',
    at: (t) => (t < 35 ? ramp(t, 15, 33, 46, 96) : ramp(t, 35, 55, 96, 46)) + wobble(t, 0.4, 0.5),
  },
  'dc1.diff_pressure': {
    table: 'input', address: 0, dataType: 'int16',
    at: (t) => Math.round(950 + wobble(t, 25, 0.7)),
  },
  'dc1.airlock_fault': { table: 'discrete', address: 0, dataType: 'bool', at: (t) => t >= 20 && t < 35 },
  'dc1.fan_running': { table: 'coil', address: 0, dataType: 'bool', at: () => true },
};

export interface DemoPlantOptions {
  host?: string;
  port?: number;
  /** Scenario seconds per real second; tests run the minute-long scenario in seconds. */
  speed?: number;
  /** Update period of the simulated values, ms. */
  tickMs?: number;
  /** Start the scenario at this many seconds into the cycle. */
  startAt?: number;
  /** Stop after one cycle instead of repeating: the plant then stays normal. */
  once?: boolean;
  /** Another plant's signals and cycle (simulators/modbus/scenarios/); default: the demo plant's. */
  signals?: Record<string, SimSignal>;
  cycleS?: number;
}

/** The demo plant: a Modbus TCP server whose registers follow the scenario; values can be pinned from tests. */
export class DemoPlantSimulator {
  readonly server: RegisterServer;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly pinned = new Map<string, number | boolean>();

  constructor(private readonly options: DemoPlantOptions = {}) {
    this.server = new RegisterServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  }

  get port(): number {
    return this.server.port;
  }

  private get signals(): Record<string, SimSignal> {
    return this.options.signals ?? DEMO_SIGNALS;
  }

  /** Scenario time in seconds within the cycle. */
  scenarioTime(): number {
    const elapsed = ((Date.now() - this.startedAt) / 1000) * (this.options.speed ?? 1) + (this.options.startAt ?? 0);
    const cycle = this.options.cycleS ?? CYCLE_S;
    if (this.options.once && elapsed >= cycle) return cycle - 1;
    return elapsed % cycle;
  }

  async start(): Promise<number> {
    const port = await this.server.start();
    this.startedAt = Date.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 250);
    return port;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.server.stop();
  }

  /** Holds a signal at a value (engineering units) until released; the scenario no longer moves it. */
  set(signal: string, value: number | boolean): void {
    if (!this.signals[signal]) throw new Error(`unknown demo signal ${signal}; known: ${Object.keys(this.signals).join(', ')}`);
    this.pinned.set(signal, value);
    this.tick();
  }

  release(signal: string): void {
    this.pinned.delete(signal);
    this.tick();
  }

  private tick(): void {
    const t = this.scenarioTime();
    const bank = this.server.bank(1);
    for (const [name, s] of Object.entries(this.signals)) {
      const eng = this.pinned.has(name) ? this.pinned.get(name)! : s.at(t);
      const raw = typeof eng === 'number' && s.toRaw ? s.toRaw(eng) : eng;
      bank.write(s.table, s.address, raw, s.dataType, s.order ?? 'ABCD');
    }
  }
}
