import type { PointChannel, ReadingBus } from './bus.js';
import type { PointDefinition } from './point.js';
import type { QualityCode } from './quality.js';
import type { Reading, ReadingValue } from './reading.js';

/** The latest value of a point. One mutable slot per point: no allocation per reading. */
export interface PointValue {
  value: ReadingValue;
  quality: QualityCode;
  ts: number;
  receivedAt: number;
  reason?: string | undefined;
}

/** What a device itself reports about a point (OPC UA EUInformation …); survives hot reload. */
export interface DeviceReportedInfo {
  unit?: string | undefined;
}

/**
 * Every point's definition, what devices report about it, and its latest value, quality and
 * timestamps. The one place the runtime, sinks and services look a point up; it implements
 * ReadonlyMap so rule compilation and the config checks take it as they take a plain map.
 *
 * Definitions are replaced on hot reload; device-reported facts are kept and re-applied, so a unit
 * learnt from an OPC UA server is not lost when the config file is edited.
 */
export class PointRegistry implements ReadonlyMap<string, PointDefinition> {
  private defs = new Map<string, PointDefinition>();
  private readonly reported = new Map<string, DeviceReportedInfo>();
  private readonly latestValues = new LatestValues();
  private bus: ReadingBus | undefined;
  private definitionsVersion = 0;

  constructor(definitions: Iterable<[string, PointDefinition]> = []) {
    this.replace(definitions);
  }

  /** Takes a new set of definitions (start, hot reload), keeping what devices reported. */
  replace(definitions: Iterable<[string, PointDefinition]>): void {
    const next = new Map<string, PointDefinition>();
    for (const [id, def] of definitions) next.set(id, this.withReported({ ...def }, this.reported.get(id)));
    this.defs = next;
    this.definitionsVersion++;
  }

  /** Changes whenever a definition may have (reload, added points, a unit a device reported): caches of names and units compare it. */
  get version(): number {
    return this.definitionsVersion;
  }

  /** Adds points published by services (gateway.uplink.link_up …); config points win on a clash. */
  addMissing(points: Iterable<PointDefinition>): void {
    for (const p of points) if (!this.defs.has(p.id)) this.defs.set(p.id, this.withReported({ ...p }, this.reported.get(p.id)));
    this.definitionsVersion++;
  }

  /**
   * Records what a device reports. Config fields win: a unit given in the config is never
   * overwritten. Returns true when the definition changed.
   */
  report(id: string, info: DeviceReportedInfo): boolean {
    const prev = this.reported.get(id) ?? {};
    const merged = { ...prev, ...Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) };
    this.reported.set(id, merged);
    const def = this.defs.get(id);
    if (!def) return false;
    const before = def.unit;
    this.withReported(def, merged);
    if (def.unit === before) return false;
    this.definitionsVersion++;
    return true;
  }

  /** What devices reported about a point, if anything. */
  reportedInfo(id: string): DeviceReportedInfo | undefined {
    return this.reported.get(id);
  }

  private withReported(def: PointDefinition, info: DeviceReportedInfo | undefined): PointDefinition {
    if (info?.unit && !def.unit) def.unit = info.unit;
    return def;
  }

  /** Keeps the latest value of every point from the bus (its recorder hook: one call per reading). */
  attach(bus: ReadingBus): void {
    this.detach();
    // The slot is kept on the point's bus channel, so a reading costs no lookup here.
    bus.setRecorder((r, ch) => this.record(r, ch));
    this.bus = bus;
  }

  detach(): void {
    this.bus?.setRecorder(undefined);
    this.bus = undefined;
  }

  record(r: Reading, ch?: PointChannel): void {
    let slot = ch === undefined ? -1 : ch.recorded;
    if (slot < 0) {
      slot = this.latestValues.slotOf(r.point);
      if (ch) ch.recorded = slot;
    }
    this.latestValues.set(slot, r);
  }

  /** The latest value of a point, or undefined before its first reading (a copy: a snapshot of that moment). */
  latest(id: string): Readonly<PointValue> | undefined {
    return this.latestValues.get(id);
  }

  // ReadonlyMap
  get size(): number {
    return this.defs.size;
  }
  get(id: string): PointDefinition | undefined {
    return this.defs.get(id);
  }
  has(id: string): boolean {
    return this.defs.has(id);
  }
  keys(): MapIterator<string> {
    return this.defs.keys();
  }
  values(): MapIterator<PointDefinition> {
    return this.defs.values();
  }
  entries(): MapIterator<[string, PointDefinition]> {
    return this.defs.entries();
  }
  forEach(fn: (value: PointDefinition, key: string, map: ReadonlyMap<string, PointDefinition>) => void): void {
    for (const [k, v] of this.defs) fn(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[string, PointDefinition]> {
    return this.defs.entries();
  }
}

/** Kinds of latest value in LatestValues.kind. */
const NONE = 0;
const NUMBER = 1;
const TRUE = 2;
const FALSE = 3;
const NULL = 4;

/**
 * Every point's latest value as struct-of-arrays, by a slot number per point (given at its first
 * reading, kept on its bus channel): numbers and timestamps in Float64Arrays, so recording a reading
 * allocates nothing, stores no pointer to a young number into an old object (no write barrier, no
 * remembered-set entry for the scavenger to visit) and touches neighbouring memory for the points of
 * one device, where a slot object per point was one more scattered cache line per reading.
 */
class LatestValues {
  private readonly slots = new Map<string, number>();
  private kind = new Uint8Array(0);
  private num = new Float64Array(0);
  private ts = new Float64Array(0);
  private receivedAt = new Float64Array(0);
  /** Quality codes (interned string constants) and reasons (mostly undefined), plain arrays. */
  private readonly quality: QualityCode[] = [];
  private readonly reason: (string | undefined)[] = [];

  slotOf(point: string): number {
    let slot = this.slots.get(point);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(point, slot);
      if (slot >= this.kind.length) this.grow(Math.max(1024, this.kind.length * 2));
      this.quality.push('Good');
      this.reason.push(undefined);
    }
    return slot;
  }

  set(slot: number, r: Reading): void {
    const v = r.value;
    if (typeof v === 'number') {
      this.kind[slot] = NUMBER;
      this.num[slot] = v;
    } else this.kind[slot] = v === null ? NULL : v ? TRUE : FALSE;
    this.quality[slot] = r.quality;
    this.ts[slot] = r.ts;
    this.receivedAt[slot] = r.receivedAt;
    // Written only when it changes: most readings have none, and most points had none before.
    if (this.reason[slot] !== r.reason) this.reason[slot] = r.reason;
  }

  get(point: string): PointValue | undefined {
    const slot = this.slots.get(point);
    if (slot === undefined) return undefined;
    const kind = this.kind[slot]!;
    if (kind === NONE) return undefined;
    const value: ReadingValue = kind === NUMBER ? this.num[slot]! : kind === NULL ? null : kind === TRUE;
    return { value, quality: this.quality[slot]!, ts: this.ts[slot]!, receivedAt: this.receivedAt[slot]!, reason: this.reason[slot] };
  }

  private grow(size: number): void {
    const grown = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.kind = grown(this.kind, (n) => new Uint8Array(n));
    this.num = grown(this.num, (n) => new Float64Array(n));
    this.ts = grown(this.ts, (n) => new Float64Array(n));
    this.receivedAt = grown(this.receivedAt, (n) => new Float64Array(n));
  }
}
