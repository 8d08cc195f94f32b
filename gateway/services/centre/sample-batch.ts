import { chunkRows, type ChunkRow } from '../history/chunks.js';
import type { PointTable } from './point-table.js';

/**
 * The intake's batch of point slots for the next flush, at most `capacity` entries in columns that
 * are allocated once and reused: the intake writes the batch when it is full, so the work of one
 * flush is bounded and the batch allocates nothing as it fills.
 *
 * Growing JavaScript arrays by push for a second's batch made the first snapshot round of 2,000
 * gateways (400,000 new points in ten seconds, 40,000 a flush) allocate each column's backing store
 * again and again past V8's large-object size; they lived through the scavenges of that second, so
 * every copy went to the old large-object space, and some 36 MB stayed there until the next full
 * collection (tens of seconds later): a tenth of the centre's peak RSS.
 */
export class SlotBatch {
  length = 0;
  /** Which enterprise's table each entry is a slot of (entries past `length` are stale, overwritten next). */
  protected readonly tables: PointTable[];
  protected readonly slots: Int32Array;

  constructor(readonly capacity: number) {
    this.tables = new Array<PointTable>(capacity);
    this.slots = new Int32Array(capacity);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** Adds a slot; the caller empties a full batch first (`full`). */
  push(table: PointTable, slot: number): number {
    const i = this.length++;
    this.tables[i] = table;
    this.slots[i] = slot;
    return i;
  }

  tableAt(i: number): PointTable {
    return this.tables[i]!;
  }

  slotAt(i: number): number {
    return this.slots[i]!;
  }

  clear(): void {
    this.length = 0;
  }
}

/** History samples of the next flush: point slot, time, stored value, quality class (chunks.ts). */
export class SampleBatch extends SlotBatch {
  private readonly ts: Float64Array;
  private readonly value: Float64Array;
  private readonly quality: Uint8Array;

  constructor(capacity: number) {
    super(capacity);
    this.ts = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.quality = new Uint8Array(capacity);
  }

  add(table: PointTable, slot: number, ts: number, value: number, quality: number): void {
    const i = this.push(table, slot);
    this.ts[i] = ts;
    this.value[i] = value;
    this.quality[i] = quality;
  }

  /** The batch as chunk rows (one per point; its point id `<enterpriseCode>.<pointCode>`), made one at a time. */
  rows(): Generator<ChunkRow> {
    const n = this.length;
    const point = new Array<string>(n);
    for (let i = 0; i < n; i++) point[i] = this.tables[i]!.historyPoint(this.slots[i]!);
    return chunkRows({ point, ts: this.ts.subarray(0, n), value: this.value.subarray(0, n), quality: this.quality.subarray(0, n) });
  }
}
