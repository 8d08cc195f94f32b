import { QUALITY_CODES, type QualityCode } from '../../core/quality.js';

/** A point's latest live value at the centre. */
export interface LatestValue {
  value: number | boolean | null;
  quality: string;
  time: number;
  alarmLevel: number;
}

/** A point's name and unit (from base data, or the unit of its first realtime value). */
export interface PointInfo {
  name: string | undefined;
  unit: string | undefined;
}

const FIRST_CAPACITY = 64;
/** value kinds in `kind`: no live value yet, a number, a boolean (1 / 0 in `value`), null. */
const NONE = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const NULL = 3;
const QUALITY_INDEX = new Map<string, number>(QUALITY_CODES.map((q, i) => [q, i]));

/**
 * Units are a handful of strings (ppm, %LEL, MPa, ℃ …) repeated on every point of every snapshot:
 * each point keeps the one shared copy instead of the string its first envelope was parsed into.
 * Bounded, so a hostile enterprise sending a new unit per point only stops the sharing.
 */
const units = new Map<string, string>();
const MAX_UNITS = 10_000;
function sharedUnit(u: string): string {
  const known = units.get(u);
  if (known !== undefined) return known;
  if (units.size < MAX_UNITS) units.set(u, u);
  return u;
}

/**
 * One enterprise's points at the centre: one slot per point code, the latest live value and the
 * history downsampling state in typed arrays. At 2,000 gateways × 200 points a Map of value objects
 * per enterprise, a second Map keyed by "<enterprise>.<point>" for the history state and an info
 * object per point held some 400 bytes per point and replaced 200 objects per snapshot (GC); a slot
 * is about 80 bytes and a snapshot allocates nothing per value.
 *
 * `latest` and `info` are read-only Map views for the API, the figures and the rules.
 */
export class PointTable {
  private readonly slots = new Map<string, number>();
  private codes: string[] = [];
  private names: (string | undefined)[] = [];
  private unitOf: (string | undefined)[] = [];
  private kind = new Uint8Array(FIRST_CAPACITY);
  private value = new Float64Array(FIRST_CAPACITY);
  private time = new Float64Array(FIRST_CAPACITY);
  private quality = new Uint8Array(FIRST_CAPACITY);
  private level = new Uint8Array(FIRST_CAPACITY);
  /** History: time and alarm level of the last sample kept (NaN: none yet). */
  private keptAt = new Float64Array(FIRST_CAPACITY).fill(NaN);
  private keptLevel = new Uint8Array(FIRST_CAPACITY);
  private live = 0;

  constructor(readonly enterpriseCode: string) {}

  readonly latest: ReadonlyMap<string, LatestValue> = new TableView(this, (slot) => this.latestAt(slot), () => this.live);
  readonly info: ReadonlyMap<string, PointInfo> = new TableView(this, (slot) => ({ name: this.names[slot], unit: this.unitOf[slot] }), () => this.codes.length);

  get size(): number {
    return this.codes.length;
  }

  /**
   * Makes room for `n` more points at once (a snapshot's items), so a new enterprise's first snapshot
   * sizes its arrays once instead of doubling them up from FIRST_CAPACITY.
   */
  reserve(n: number): void {
    const need = this.codes.length + n;
    if (need > this.kind.length) this.resize(need);
  }

  /** The slot of a point code, or -1. */
  slotOf(code: string): number {
    return this.slots.get(code) ?? -1;
  }

  /** The slot of a point code, added (with its unit) when new. */
  ensure(code: string, unit: string | undefined): number {
    const known = this.slots.get(code);
    if (known !== undefined) return known;
    const slot = this.codes.length;
    if (slot === this.kind.length) this.resize(this.kind.length * 2);
    this.slots.set(code, slot);
    this.codes.push(code);
    this.names.push(undefined);
    this.unitOf.push(unit ? sharedUnit(unit) : undefined);
    return slot;
  }

  setInfo(code: string, name: string | undefined, unit: string | undefined): void {
    const slot = this.ensure(code, unit);
    this.names[slot] = name;
    this.unitOf[slot] = unit ? sharedUnit(unit) : undefined;
  }

  /** Sets the live value unless the one held is newer (a late message never replaces it). */
  setLatest(slot: number, value: number | boolean | null, quality: QualityCode, time: number, alarmLevel: number): void {
    if (this.kind[slot] !== NONE && this.time[slot]! > time) return;
    if (this.kind[slot] === NONE) this.live++;
    if (value === null) {
      this.kind[slot] = NULL;
      this.value[slot] = NaN;
    } else if (typeof value === 'boolean') {
      this.kind[slot] = BOOLEAN;
      this.value[slot] = value ? 1 : 0;
    } else {
      this.kind[slot] = NUMBER;
      this.value[slot] = value;
    }
    this.time[slot] = time;
    this.quality[slot] = QUALITY_INDEX.get(quality) ?? 0;
    this.level[slot] = alarmLevel;
  }

  /**
   * Whether a sample at `time` with `alarmLevel` goes to history: the first, one at least `every`
   * from the last kept (either way in time), or a change of alarm level. Records it when kept.
   */
  keep(slot: number, time: number, alarmLevel: number, every: number): boolean {
    const at = this.keptAt[slot]!;
    if (!Number.isNaN(at) && Math.abs(time - at) < every && this.keptLevel[slot] === alarmLevel) return false;
    this.keptAt[slot] = time;
    this.keptLevel[slot] = alarmLevel;
    return true;
  }

  codeAt(slot: number): string {
    return this.codes[slot]!;
  }

  unitAt(slot: number): string | undefined {
    return this.unitOf[slot];
  }

  /** The point's id in the centre's history: `<enterpriseCode>.<pointCode>`. */
  historyPoint(slot: number): string {
    return `${this.enterpriseCode}.${this.codes[slot]!}`;
  }

  /** @internal for the views: the live value of a slot, or undefined. */
  latestAt(slot: number): LatestValue | undefined {
    const k = this.kind[slot];
    if (k === NONE) return undefined;
    const v = this.value[slot]!;
    return { value: k === NUMBER ? v : k === BOOLEAN ? v === 1 : null, quality: QUALITY_CODES[this.quality[slot]!]!, time: this.time[slot]!, alarmLevel: this.level[slot]! };
  }

  private resize(n: number): void {
    const grown = <T extends Float64Array | Uint8Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.kind = grown(this.kind);
    this.value = grown(this.value);
    this.time = grown(this.time);
    this.quality = grown(this.quality);
    this.level = grown(this.level);
    this.keptAt = grown(this.keptAt, NaN);
    this.keptLevel = grown(this.keptLevel);
  }
}

/** A read-only Map over a table's slots: entries are built when asked for (API and figures, not the intake). */
class TableView<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly table: PointTable,
    private readonly at: (slot: number) => V | undefined,
    private readonly count: () => number,
  ) {}

  get size(): number {
    return this.count();
  }

  get(code: string): V | undefined {
    const slot = this.table.slotOf(code);
    return slot < 0 ? undefined : this.at(slot);
  }

  has(code: string): boolean {
    return this.get(code) !== undefined;
  }

  *entries(): MapIterator<[string, V]> {
    for (let slot = 0; slot < this.table.size; slot++) {
      const v = this.at(slot);
      if (v !== undefined) yield [this.table.codeAt(slot), v];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
