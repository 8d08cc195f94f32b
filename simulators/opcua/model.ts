/**
 * The process side of the PLC simulators, free of OPC UA: each PLC model holds its signals, steps
 * its physics on `tick`, and runs scenarios. The OPC UA server (plc-server.ts) only publishes what a
 * model says, so models are tested without a network.
 */

export type SimValue = number | boolean | number[];

/** Engineering unit as OPC UA EUInformation: UN/CEFACT common code, symbol, long name. */
export interface SimUnit {
  code: string;
  symbol: string;
  name: string;
}

export const UNITS = {
  kPa: { code: 'KPA', symbol: 'kPa', name: 'kilopascal' },
  MPa: { code: 'MPA', symbol: 'MPa', name: 'megapascal' },
  degC: { code: 'CEL', symbol: '°C', name: 'degree Celsius' },
  m3h: { code: 'MQH', symbol: 'm³/h', name: 'cubic metre per hour' },
  percent: { code: 'P1', symbol: '%', name: 'percent' },
  m: { code: 'MTR', symbol: 'm', name: 'metre' },
  mm: { code: 'MMT', symbol: 'mm', name: 'millimetre' },
  deg: { code: 'DD', symbol: '°', name: 'degree [unit of angle]' },
  ppm: { code: '59', symbol: 'ppm', name: 'part per million' },
  mPerMin: { code: '2X', symbol: 'm/min', name: 'metre per minute' },
} as const satisfies Record<string, SimUnit>;

export interface SimSignal {
  /** Key used by `set()` and by the demo config, e.g. top_pressure. */
  key: string;
  /** OPC UA browse name (English, as PLC tag names usually are), e.g. TopPressure. */
  browseName: string;
  /** Chinese display name, e.g. 炉顶压力. */
  name: string;
  kind: 'analog' | 'bool' | 'analogArray';
  unit?: SimUnit;
  /** EURange: the range the instrument is calibrated for. */
  range?: { low: number; high: number };
  /** Element count of an analogArray signal. */
  length?: number;
  /** Digits kept when publishing, so values look like instrument readings. */
  decimals?: number;
}

/** Small deterministic PRNG (mulberry32) so runs and tests are reproducible. */
export function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Moves `from` towards `to` by at most `maxStep`. */
export const approach = (from: number, to: number, maxStep: number): number =>
  from < to ? Math.min(to, from + maxStep) : Math.max(to, from - maxStep);

export interface ScenarioInfo {
  name: string;
  /** Chinese description for the demo log. */
  description: string;
  /** How long the scenario runs before the plant returns to normal, seconds. */
  durationS: number;
}

/**
 * A PLC: signals, physics and scenarios. Subclasses implement `step`. Forced values (like a PLC
 * force table) override the simulation until released.
 */
export abstract class PlcModel {
  abstract readonly id: string;
  /** Browse name of the PLC's folder under Objects, e.g. BF1. */
  abstract readonly folder: string;
  abstract readonly title: string;
  abstract readonly signals: readonly SimSignal[];
  abstract readonly scenarios: readonly ScenarioInfo[];

  protected readonly state = new Map<string, SimValue>();
  private readonly forced = new Map<string, SimValue>();
  protected random: () => number;
  /** Active scenario and its elapsed seconds. */
  protected scenario: { name: string; elapsedS: number; options: Record<string, unknown> } | null = null;

  constructor(seed: number) {
    this.random = makeRandom(seed);
  }

  /** Gaussian-ish noise in [-amp, amp] (sum of two uniforms). */
  protected noise(amp: number): number {
    return (this.random() + this.random() - 1) * amp;
  }

  private byKey: Map<string, SimSignal> | undefined;

  signal(key: string): SimSignal {
    this.byKey ??= new Map(this.signals.map((x) => [x.key, x]));
    const s = this.byKey.get(key);
    if (!s) throw new Error(`${this.id}: no signal "${key}" (known: ${this.signals.map((x) => x.key).join(', ')})`);
    return s;
  }

  value(key: string): SimValue {
    const forced = this.forced.get(key);
    if (forced !== undefined) return forced;
    const v = this.state.get(key);
    if (v === undefined) throw new Error(`${this.id}: signal "${key}" has no value`);
    return v;
  }

  protected num(key: string): number {
    const v = this.value(key);
    if (typeof v !== 'number') throw new Error(`${this.id}: signal "${key}" is not a number`);
    return v;
  }

  protected bool(key: string): boolean {
    return this.value(key) === true;
  }

  /** Forces a signal to a value until `release`; the physics keeps running underneath. */
  force(key: string, value: SimValue): void {
    const s = this.signal(key);
    const ok = s.kind === 'bool' ? typeof value === 'boolean' : s.kind === 'analog' ? typeof value === 'number' : Array.isArray(value);
    if (!ok) throw new Error(`${this.id}: signal "${key}" is ${s.kind}, cannot take ${JSON.stringify(value)}`);
    this.forced.set(key, value);
  }

  release(key: string): void {
    this.forced.delete(key);
  }

  startScenario(name: string, options: Record<string, unknown> = {}): void {
    if (!this.scenarios.some((s) => s.name === name)) {
      throw new Error(`${this.id}: unknown scenario "${name}" (known: ${this.scenarios.map((s) => s.name).join(', ')})`);
    }
    this.scenario = { name, elapsedS: 0, options };
  }

  stopScenario(): void {
    this.scenario = null;
    this.resetAfterScenario();
  }

  get activeScenario(): string | null {
    return this.scenario?.name ?? null;
  }

  /** Advances the process by dtS seconds. */
  tick(dtS: number): void {
    if (this.scenario) {
      this.scenario.elapsedS += dtS;
      const info = this.scenarios.find((s) => s.name === this.scenario!.name)!;
      if (this.scenario.elapsedS > info.durationS) this.stopScenario();
    }
    this.step(dtS);
  }

  protected abstract step(dtS: number): void;
  /** Puts equipment changed by a scenario (a lifted lance, a leak) back in service. */
  protected abstract resetAfterScenario(): void;

  /** Value as published, rounded to the signal's decimals. */
  published(key: string): SimValue {
    const v = this.value(key);
    const d = this.signal(key).decimals;
    if (d === undefined) return v;
    const r = (x: number) => Math.round(x * 10 ** d) / 10 ** d;
    if (typeof v === 'number') return r(v);
    if (Array.isArray(v)) return v.map(r);
    return v;
  }
}
