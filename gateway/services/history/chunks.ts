import type { QualityCode } from '../../core/quality.js';
import type { ReadingValue } from '../../core/reading.js';

/**
 * The local history keeps a point's samples in chunks: one database row holds up to a minute (or
 * MAX_CHUNK_SAMPLES) of one point, packed in a blob. A row per reading made every flush touch one
 * B-tree leaf per point (10,000 points: 10,000 scattered pages, some 40 MB of WAL, per second) and
 * cost 10–25 µs per reading as the table grew; a chunk row costs that once per minute per point.
 *
 * Blob layout (little-endian): u8 version (1), u32 n, n × f64 ts, n × f64 value (NaN: no number),
 * n × u8 quality class (QUALITY_GOOD / QUALITY_UNCERTAIN / QUALITY_BAD; the class is stable while the
 * list of quality codes grows).
 */
export const QUALITY_GOOD = 0;
export const QUALITY_UNCERTAIN = 1;
export const QUALITY_BAD = 2;

const VERSION = 1;
const HEADER_BYTES = 5;
/** A chunk is written when it holds this many samples, even if its minute is not over. */
export const MAX_CHUNK_SAMPLES = 1024;
const FIRST_CAPACITY = 16;

/** A sample value as stored: booleans as 1/0, null and non-finite numbers as NaN. */
export function storedValue(v: ReadingValue): number {
  if (v === null) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.isFinite(v) ? v : NaN;
}

export function qualityClass(q: QualityCode): number {
  // Every code starts with its class (see core/quality.ts): one character decides.
  const c = q.charCodeAt(0);
  return c === 66 /* B */ ? QUALITY_BAD : c === 85 /* U */ ? QUALITY_UNCERTAIN : QUALITY_GOOD;
}

/** Samples of one point in parallel arrays (value null: no number). */
export interface Samples {
  ts: number[];
  value: (number | null)[];
  bad: boolean[];
}

export function emptySamples(): Samples {
  return { ts: [], value: [], bad: [] };
}

/** A chunk ready to be written: one row of history_chunk. */
export interface ChunkRow {
  point: string;
  start: number;
  end: number;
  n: number;
  data: Buffer;
}

/** One point's open chunk: typed arrays that grow by doubling and are reused after each write. */
class OpenChunk {
  n = 0;
  /** ctx.now() when the first sample of this chunk came (decides when the chunk is due). */
  openedAt = 0;
  start = Infinity;
  end = -Infinity;
  tsv: Float64Array = new Float64Array(FIRST_CAPACITY * 2);
  quality: Uint8Array = new Uint8Array(FIRST_CAPACITY);

  constructor(readonly point: string) {}

  add(ts: number, value: number, q: number): void {
    const i = this.n;
    if (i === this.quality.length) this.grow();
    this.tsv[2 * i] = ts;
    this.tsv[2 * i + 1] = value;
    this.quality[i] = q;
    this.n = i + 1;
    if (ts < this.start) this.start = ts;
    if (ts > this.end) this.end = ts;
  }

  private grow(): void {
    const tsv = new Float64Array(this.tsv.length * 2);
    tsv.set(this.tsv);
    const quality = new Uint8Array(this.quality.length * 2);
    quality.set(this.quality);
    this.tsv = tsv;
    this.quality = quality;
  }

  /** Packs the samples into a row and empties the chunk (its arrays are kept for the next one). */
  take(): ChunkRow {
    const n = this.n;
    const data = Buffer.allocUnsafe(HEADER_BYTES + n * 17);
    data.writeUInt8(VERSION, 0);
    data.writeUInt32LE(n, 1);
    let o = HEADER_BYTES;
    for (let i = 0; i < n; i++, o += 8) data.writeDoubleLE(this.tsv[2 * i]!, o);
    for (let i = 0; i < n; i++, o += 8) data.writeDoubleLE(this.tsv[2 * i + 1]!, o);
    for (let i = 0; i < n; i++, o++) data[o] = this.quality[i]!;
    const row = { point: this.point, start: this.start, end: this.end, n, data };
    this.n = 0;
    this.start = Infinity;
    this.end = -Infinity;
    return row;
  }

  appendTo(out: Samples, from: number, to: number): void {
    for (let i = 0; i < this.n; i++) {
      const ts = this.tsv[2 * i]!;
      if (ts < from || ts >= to) continue;
      const v = this.tsv[2 * i + 1]!;
      out.ts.push(ts);
      out.value.push(Number.isNaN(v) ? null : v);
      out.bad.push(this.quality[i] === QUALITY_BAD);
    }
  }
}

/** Appends the samples of a stored chunk that fall in [from, to). */
export function decodeChunk(data: Buffer, from: number, to: number, out: Samples): void {
  if (data.length < HEADER_BYTES || data.readUInt8(0) !== VERSION) throw new Error(`history chunk: unknown format ${data.length ? data.readUInt8(0) : 'empty'}`);
  const n = data.readUInt32LE(1);
  if (data.length !== HEADER_BYTES + n * 17) throw new Error(`history chunk: ${data.length} bytes for ${n} samples`);
  const values = HEADER_BYTES + n * 8;
  const qualities = HEADER_BYTES + n * 16;
  for (let i = 0; i < n; i++) {
    const ts = data.readDoubleLE(HEADER_BYTES + i * 8);
    if (ts < from || ts >= to) continue;
    const v = data.readDoubleLE(values + i * 8);
    out.ts.push(ts);
    out.value.push(Number.isNaN(v) ? null : v);
    out.bad.push(data[qualities + i] === QUALITY_BAD);
  }
}

/**
 * The open chunks of every point, in memory until they are written. Memory: one chunk per point
 * (about a minute of its kept readings, 17 bytes each), never a per-reading object.
 */
export class OpenChunks {
  /** Every point's chunk (open or emptied), by bus channel index: the per-sample path is an array index. */
  private readonly chunks: (OpenChunk | undefined)[] = [];
  // The open chunks in the order they were opened (touched once per chunk, not per sample), so the
  // oldest are at the front.
  private readonly open = new Map<string, OpenChunk>();
  /** Samples held in open chunks. */
  samples = 0;

  /** Points with an open chunk. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Adds a kept sample of the point with bus channel index `index`. Returns a row when the point's
   * chunk is full (the caller queues it for writing), else undefined.
   */
  add(point: string, index: number, ts: number, value: number, quality: number, now: number): ChunkRow | undefined {
    let c = this.chunks[index];
    if (c === undefined) {
      while (this.chunks.length < index) this.chunks.push(undefined);
      this.chunks[index] = c = new OpenChunk(point);
    }
    if (c.n === 0) {
      c.openedAt = now;
      this.open.set(point, c);
    }
    c.add(ts, value, quality);
    this.samples++;
    return c.n >= MAX_CHUNK_SAMPLES ? this.close(c) : undefined;
  }

  private close(c: OpenChunk): ChunkRow {
    this.samples -= c.n;
    this.open.delete(c.point);
    return c.take();
  }

  /** Closes up to `max` chunks opened at or before `openedBy`, oldest first. */
  takeDue(openedBy: number, max: number): ChunkRow[] {
    const rows: ChunkRow[] = [];
    for (const c of this.open.values()) {
      if (rows.length >= max || c.openedAt > openedBy) break;
      rows.push(this.close(c));
    }
    return rows;
  }

  /** Closes every open chunk (stop). */
  takeAll(): ChunkRow[] {
    return [...this.open.values()].map((c) => this.close(c));
  }

  /** The open samples of a point within [from, to). */
  appendOpen(point: string, from: number, to: number, out: Samples): void {
    this.open.get(point)?.appendTo(out, from, to);
  }
}

/** One sample as a writer outside the bus has it (e.g. the centre's intake of enterprise snapshots). */
export interface HistorySample {
  point: string;
  ts: number;
  value: ReadingValue;
  quality: QualityCode;
}

/** Packs loose samples into chunk rows, one per point (for writers that batch a second or so at a time). */
export function packSamples(samples: readonly HistorySample[]): ChunkRow[] {
  return packColumns({
    point: samples.map((s) => s.point),
    ts: samples.map((s) => s.ts),
    value: samples.map((s) => storedValue(s.value)),
    quality: samples.map((s) => qualityClass(s.quality)),
  });
}

/** Samples as parallel columns: values as stored (storedValue), qualities as classes (qualityClass). */
export interface SampleColumns {
  point: readonly string[];
  ts: ArrayLike<number>;
  value: ArrayLike<number>;
  quality: ArrayLike<number>;
}

/** packSamples for a writer that keeps its batch in columns (the centre: no object per sample). */
export function packColumns(c: SampleColumns): ChunkRow[] {
  return [...chunkRows(c)];
}

/**
 * The rows of packColumns one at a time, for a writer that inserts each as it comes: a batch of
 * 40,000 rows held in an array lives through the scavenges its own encoding triggers and is promoted
 * to the old heap; a row inserted at once dies young.
 */
export function* chunkRows(c: SampleColumns): Generator<ChunkRow> {
  // Samples of one point chained by index, encoded straight into each row's buffer: an OpenChunk per
  // point (two typed arrays each) was 400,000 array buffers a minute for the centre's 400,000 points,
  // most rows holding one sample; a small Buffer comes from Node's pool.
  const length = c.point.length;
  const head = new Map<string, number>();
  const next = new Int32Array(length).fill(-1);
  const tail = new Int32Array(length);
  const count = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const h = head.get(c.point[i]!);
    if (h === undefined) {
      head.set(c.point[i]!, i);
      tail[i] = i;
      count[i] = 1;
    } else {
      next[tail[h]!] = i;
      tail[h] = i;
      count[h]!++;
    }
  }
  for (const [point, h] of head) {
    const n = count[h]!;
    const data = Buffer.allocUnsafe(HEADER_BYTES + n * 17);
    data.writeUInt8(VERSION, 0);
    data.writeUInt32LE(n, 1);
    let start = Infinity;
    let end = -Infinity;
    for (let i = h, k = 0; i !== -1; i = next[i]!, k++) {
      const ts = c.ts[i]!;
      data.writeDoubleLE(ts, HEADER_BYTES + k * 8);
      data.writeDoubleLE(c.value[i]!, HEADER_BYTES + n * 8 + k * 8);
      data[HEADER_BYTES + n * 16 + k] = c.quality[i]!;
      if (ts < start) start = ts;
      if (ts > end) end = ts;
    }
    yield { point, start, end, n, data };
  }
}
