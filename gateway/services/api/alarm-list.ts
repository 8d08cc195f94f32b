import type { z } from 'zod';
import type { AlarmManager } from '../../alarms/alarm-manager.js';
import type { PointRegistry } from '../../core/point-registry.js';
import { asciiJson } from './ascii-json.js';
import { alarmView } from './deps.js';
import { countRows, standingRow, StandingAlarmIndex, type SchemaViolation, type StandingRow } from './alarm-index.js';
import type { alarmListQuery } from './schemas.js';

export type AlarmListQuery = z.output<typeof alarmListQuery>;

/** Responses kept per generation of the index: the console's full list plus a few filters and pages. */
const CACHED_RESPONSES = 8;
/** ... and at most this many bytes of them (10,000 alarms are 4.5 MB). */
const CACHED_BYTES = 16 * 1024 * 1024;

const SEVERITY_ORDER = (a: StandingRow, b: StandingRow) => b.view.severity - a.view.severity || b.view.ts - a.view.ts;

/**
 * The body of GET /alarms. Standing alarms come from the index (rows serialised and validated once,
 * when they change); a response filters cached rows and joins their texts, and the finished body is
 * kept as bytes until a row or the journal's last seq changes, so the console's whole list at login
 * (10,000 alarms, 4.5 MB) is a lookup while nothing changed. `all=true` (every configured alarm,
 * engineering views) is built at the call.
 */
export class AlarmListResponder {
  private readonly index: StandingAlarmIndex;
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private cacheGeneration = -1;
  private cacheSeq = -1;

  constructor(
    private readonly alarms: AlarmManager,
    private readonly points: PointRegistry,
    private readonly onViolation?: SchemaViolation,
  ) {
    this.index = new StandingAlarmIndex(alarms, points, onViolation);
  }

  /** The response body for `query`, with `lastSeq` (the journal's newest seq) in it. */
  body(query: AlarmListQuery, lastSeq: number): Buffer {
    if (query.all === 'true') return this.build(query, lastSeq);
    const generation = this.index.generation;
    if (generation !== this.cacheGeneration || lastSeq !== this.cacheSeq) {
      this.cache.clear();
      this.cachedBytes = 0;
      this.cacheGeneration = generation;
      this.cacheSeq = lastSeq;
    }
    // The parsed query: the same request spelled differently (order, spaces in lists) shares an entry.
    const key = JSON.stringify(query);
    let body = this.cache.get(key);
    if (body === undefined) {
      body = this.build(query, lastSeq);
      if (body.length <= CACHED_BYTES) {
        // Oldest first out (a Map iterates in insertion order; deleting while iterating is allowed).
        for (const [oldest, bytes] of this.cache) {
          if (this.cache.size < CACHED_RESPONSES && this.cachedBytes + body.length <= CACHED_BYTES) break;
          this.cache.delete(oldest);
          this.cachedBytes -= bytes.length;
        }
        this.cache.set(key, body);
        this.cachedBytes += body.length;
      }
    }
    return body;
  }

  private build(query: AlarmListQuery, lastSeq: number): Buffer {
    const text = query.text?.toLowerCase();
    const filtered = query.state !== undefined || query.severity !== undefined || query.area !== undefined || text !== undefined;
    let rows: readonly StandingRow[] =
      query.all === 'true'
        ? this.alarms
            .list()
            .map((s) => standingRow(alarmView(this.points, s), this.onViolation))
            .sort(SEVERITY_ORDER)
        : this.index.sorted();
    if (filtered) {
      rows = rows.filter(
        ({ view: a, haystack }) =>
          (!query.state || query.state.includes(a.state)) && (!query.severity || query.severity.includes(a.severity)) && (!query.area || a.area === query.area) && (!text || haystack.includes(text)),
      );
    }
    const counts = filtered || query.all === 'true' ? countRows(rows) : this.index.allCounts();
    const page = query.limit !== undefined || query.offset > 0 ? rows.slice(query.offset, query.limit !== undefined ? query.offset + query.limit : undefined) : rows;
    // Every part is ASCII, so the joined text is a one-byte string and encoding it is a plain copy.
    const parts: string[] = new Array<string>(page.length);
    for (let i = 0; i < page.length; i++) parts[i] = page[i]!.json;
    return Buffer.from(`{"alarms":[${parts.join(',')}],"counts":${asciiJson(counts)},"lastSeq":${lastSeq}}`);
  }
}
