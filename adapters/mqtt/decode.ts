import { z } from 'zod';
import type { Reading } from '../../gateway/core/reading.js';
import { qualityCodeSchema, type QualityCode } from '../../gateway/core/quality.js';
import { topics } from '../../gateway/core/topics.js';
import type { MqttDevice, MqttPoint, MqttSubscription } from './config.js';
import { compileTemplate, NO_SEGMENTS, type CompiledTemplate } from './topic-template.js';
import { describe, jsonPointer, pointValue, sourceTime, type Reject } from './values.js';
import { isSimpleReading, type SimpleReading } from './simple-check.js';
import { readSimpleFast } from './simple-fast.js';

export interface Decoded {
  readings: Reading[];
  rejects: Reject[];
  /** Device timestamps replaced by the receive time. */
  skewed: number;
  /** Sparkplug metrics flagged is_historical, with their own timestamps: for history, never the live bus. */
  historical?: Reading[] | undefined;
  /** ai-video: event points to turn false again this long after this message (ms), and the snapshot of each. */
  holds?: { point: string; holdMs: number; snapshot?: string | undefined; camera: string }[] | undefined;
}

const SNAPSHOT_URL = /^https?:\/\/[\x21-\x7e]+$/;

/** An AI video box / NVR analytics event. */
const aiVideoSchema = z.looseObject({
  camera: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  /** 0–1, or a percentage 0–100. */
  confidence: z.number().min(0).max(100),
  time: z.union([z.number(), z.string().max(64)]).optional(),
  snapshot: z.string().max(2048).optional(),
});

/** The simple form: one reading or an array of them. simple-check.ts mirrors it (property-tested): change both. */
export const simpleReadingSchema = z.strictObject({
  point: z.string().min(1).max(200),
  value: z.union([z.number(), z.boolean(), z.string().max(64), z.null()]),
  ts: z.union([z.number(), z.string().max(64)]).optional(),
  quality: qualityCodeSchema.optional(),
});
const simpleSchema = z.union([simpleReadingSchema, z.array(z.unknown()).max(10_000)]);

/** Alibaba Alink property post (thing.event.property.post). */
const alinkSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  version: z.string().optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
});
const alinkPropertySchema = z.looseObject({ value: z.unknown(), time: z.union([z.number(), z.string()]).optional() });

export interface CompiledSubscription {
  sub: MqttSubscription;
  template: CompiledTemplate;
  /** route()'s answer when the template has no named segments: the same object every time. */
  plainRoute: Route;
}

export interface Route {
  sub: MqttSubscription;
  segments: Readonly<Record<string, string>>;
}

/** The subscriptions of a device, the simple form when none are configured. */
export function deviceSubscriptions(device: MqttDevice, gatewayId: string): CompiledSubscription[] {
  const subs: MqttSubscription[] = device.subscriptions.length > 0 ? device.subscriptions : [{ topic: topics.ingest(gatewayId, device.id), format: 'simple' }];
  return subs.map((sub) => ({ sub, template: compileTemplate(sub.topic), plainRoute: { sub, segments: NO_SEGMENTS } }));
}

/** One decoder for every message: `fatal` makes invalid UTF-8 an error instead of U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What parseJson returns for a payload that is not JSON text (the reason is in `out.rejects`). */
const NOT_JSON = Symbol('not JSON');

/** The payload's JSON document, or NOT_JSON with the reason added to `out` (no result object per message). */
function parseJson(payload: Buffer, out: Decoded): unknown {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    out.rejects.push({ reason: 'not_utf8', detail: 'payload is not UTF-8 text' });
    return NOT_JSON;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    out.rejects.push({ reason: 'not_json', detail: `payload is not JSON (${(err as Error).message})` });
    return NOT_JSON;
  }
}

/** An empty result to decode into; `decode` makes one per call unless given one to reuse. */
export function emptyDecoded(): Decoded {
  return { readings: [], rejects: [], skewed: 0, historical: undefined, holds: undefined };
}

/** Empties a result for reuse: its arrays keep their capacity (no growth per message). */
export function resetDecoded(out: Decoded): Decoded {
  out.readings.length = 0;
  out.rejects.length = 0;
  out.skewed = 0;
  out.historical = undefined;
  out.holds = undefined;
  return out;
}

/**
 * Turns one MQTT message of a device into readings, with the reason for everything it could not use.
 * Pure (no I/O, no clock: the receive time is given), so `mqtt-map` shows exactly what the adapter does.
 * One bad field never loses the good fields of the same message.
 */
export class MessageDecoder {
  readonly subscriptions: CompiledSubscription[];
  private readonly byId: Map<string, MqttPoint>;

  constructor(
    readonly device: MqttDevice,
    readonly gatewayId: string,
  ) {
    this.subscriptions = deviceSubscriptions(device, gatewayId);
    this.byId = new Map(device.points.map((p) => [p.id, p]));
  }

  /** The subscription and named segments of a topic, first match wins. */
  route(topic: string): Route | undefined {
    for (const s of this.subscriptions) {
      const segments = s.template.match(topic);
      if (segments) return segments === NO_SEGMENTS ? s.plainRoute : { sub: s.sub, segments };
    }
    return undefined;
  }

  /**
   * `out`: a result to fill instead of a new one (emptied by resetDecoded), so that the adapter's
   * per-message path allocates no result object and no arrays; read it before the next call.
   */
  decode(topic: string, payload: Buffer, receivedAt: number, out: Decoded = emptyDecoded()): Decoded {
    if (payload.length > this.device.maxMessageBytes) {
      out.rejects.push({ reason: 'too_large', detail: `${payload.length} bytes, limit ${this.device.maxMessageBytes}` });
      return out;
    }
    const route = this.route(topic);
    if (!route) {
      out.rejects.push({ reason: 'no_template', detail: `no subscription template of device ${this.device.id} matches` });
      return out;
    }
    switch (route.sub.format) {
      case 'simple':
        this.simple(payload, receivedAt, out);
        break;
      case 'json':
        this.json(route.sub, route.segments, payload, receivedAt, out);
        break;
      case 'value':
        this.value(route.segments, payload, receivedAt, out);
        break;
      case 'alink':
        this.alink(route.segments, payload, receivedAt, out);
        break;
      case 'ai-video':
        this.aiVideo(route.segments, payload, receivedAt, out);
        break;
      case 'sparkplug':
        // Sparkplug needs session state (births, aliases, seq): see sparkplug-session.ts.
        out.rejects.push({ reason: 'bad_shape', detail: 'sparkplug messages are decoded by the Sparkplug session' });
        break;
    }
    return out;
  }

  private candidates(segments: Readonly<Record<string, string>>): MqttPoint[] {
    return this.device.points.filter((p) => !p.match || Object.entries(p.match).every(([k, v]) => segments[k] === v));
  }

  private emit(point: MqttPoint, raw: unknown, rawTs: unknown, receivedAt: number, out: Decoded, quality: QualityCode = 'Good'): void {
    const v = pointValue(point, raw);
    if ('reason' in v) {
      out.rejects.push(v);
      return;
    }
    const { ts, skewed } = sourceTime(rawTs, receivedAt, this.device.maxClockSkew);
    if (skewed) out.skewed++;
    out.readings.push({ point: point.id, value: v.value, quality, ts, receivedAt });
  }

  private simple(payload: Buffer, receivedAt: number, out: Decoded): void {
    // The form as nearly every sensor writes it, read from the bytes (simple-fast.ts); else JSON.parse.
    const doc = readSimpleFast(payload) ?? parseJson(payload, out);
    if (doc === NOT_JSON) return;
    // One reading, the common case: a check proven to accept exactly what simpleReadingSchema accepts
    // (simple-check.ts) instead of two zod walks. Anything it refuses gets zod's verdict below.
    if (isSimpleReading(doc)) return this.simpleItem(doc, receivedAt, out);
    const top = simpleSchema.safeParse(doc);
    if (!top.success) return void out.rejects.push({ reason: 'bad_shape', detail: 'expected {"point","value","ts"} or an array of them' });
    const items = Array.isArray(top.data) ? top.data : [top.data];
    if (items.length === 0) return void out.rejects.push({ reason: 'bad_shape', detail: 'an empty array holds no reading' });
    items.forEach((item, i) => {
      if (isSimpleReading(item)) return this.simpleItem(item, receivedAt, out);
      const r = simpleReadingSchema.safeParse(item);
      if (!r.success) return void out.rejects.push({ reason: 'bad_shape', detail: `item ${i}: expected {"point","value","ts"}` });
      this.simpleItem(r.data, receivedAt, out);
    });
  }

  private simpleItem(item: SimpleReading, receivedAt: number, out: Decoded): void {
    const point = this.byId.get(item.point);
    if (!point) return void out.rejects.push({ reason: 'unknown_point', detail: `point "${item.point}" is not a point of device ${this.device.id}` });
    if (item.value === null) {
      const quality = item.quality && item.quality !== 'Good' ? item.quality : 'Bad';
      const { ts, skewed } = sourceTime(item.ts, receivedAt, this.device.maxClockSkew);
      if (skewed) out.skewed++;
      out.readings.push({ point: point.id, value: null, quality, ts, receivedAt });
      return;
    }
    this.emit(point, item.value, item.ts, receivedAt, out, item.quality ?? 'Good');
  }

  private json(sub: MqttSubscription, segments: Readonly<Record<string, string>>, payload: Buffer, receivedAt: number, out: Decoded): void {
    const doc = parseJson(payload, out);
    if (doc === NOT_JSON) return;
    if (doc === null || typeof doc !== 'object') return void out.rejects.push({ reason: 'bad_shape', detail: `expected a JSON object, got ${describe(doc)}` });
    const rawTs = sub.tsField !== undefined ? jsonPointer(doc, sub.tsField) : undefined;
    let found = false;
    for (const point of this.candidates(segments)) {
      if (point.field === undefined) continue;
      const raw = jsonPointer(doc, point.field);
      if (raw === undefined) continue;
      found = true;
      let quality: QualityCode = 'Good';
      if (point.qualityField !== undefined) {
        const status = jsonPointer(doc, point.qualityField);
        if (status !== undefined && !point.goodValues.some((g) => g === status)) quality = 'BadSensorFailure';
      }
      this.emit(point, raw, rawTs, receivedAt, out, quality);
    }
    if (!found) out.rejects.push({ reason: 'no_known_field', detail: `no configured field of device ${this.device.id} is in the message` });
  }

  private value(segments: Readonly<Record<string, string>>, payload: Buffer, receivedAt: number, out: Decoded): void {
    const points = this.candidates(segments);
    if (points.length === 0) return void out.rejects.push({ reason: 'unknown_point', detail: `no point of device ${this.device.id} matches ${JSON.stringify(segments)}` });
    const text = payload.toString('utf8').trim();
    const raw: unknown = text === 'true' ? true : text === 'false' ? false : text;
    for (const p of points) this.emit(p, p.type === 'boolean' && (text === '0' || text === '1') ? Number(text) : raw, undefined, receivedAt, out);
  }

  private aiVideo(segments: Readonly<Record<string, string>>, payload: Buffer, receivedAt: number, out: Decoded): void {
    const doc = parseJson(payload, out);
    if (doc === NOT_JSON) return;
    const ev = aiVideoSchema.safeParse(doc);
    if (!ev.success) return void out.rejects.push({ reason: 'bad_shape', detail: 'expected {"camera","type","confidence","time","snapshot"}' });
    const { camera, type } = ev.data;
    // The URL ends up in alarm messages on operators' terminals: only a plain http(s) URL is kept.
    const snapshot = ev.data.snapshot !== undefined && SNAPSHOT_URL.test(ev.data.snapshot) ? ev.data.snapshot : undefined;
    if (ev.data.snapshot !== undefined && !snapshot) out.rejects.push({ reason: 'bad_shape', detail: 'snapshot is not a plain http(s) URL; event kept without it' });
    const confidence = ev.data.confidence > 1 ? ev.data.confidence / 100 : ev.data.confidence;
    if (confidence < this.device.minConfidence) return void out.rejects.push({ reason: 'low_confidence', detail: `${type} from camera ${camera} at confidence ${confidence} < ${this.device.minConfidence}` });
    const points = this.candidates({ ...segments, camera }).filter((p) => p.field === type);
    if (points.length === 0) return void out.rejects.push({ reason: 'unknown_point', detail: `no event point for "${type}" of camera ${camera}` });
    for (const p of points) {
      const before = out.readings.length;
      this.emit(p, true, ev.data.time, receivedAt, out);
      if (out.readings.length === before) continue;
      if (snapshot) out.readings[before]!.evidence = snapshot;
      (out.holds ??= []).push({ point: p.id, holdMs: this.device.eventHold, snapshot, camera });
    }
  }

  private alink(segments: Readonly<Record<string, string>>, payload: Buffer, receivedAt: number, out: Decoded): void {
    const doc = parseJson(payload, out);
    if (doc === NOT_JSON) return;
    const msg = alinkSchema.safeParse(doc);
    if (!msg.success) return void out.rejects.push({ reason: 'bad_shape', detail: 'expected Alink {"id","version","params":{…},"method":"thing.event.property.post"}' });
    if (msg.data.method !== undefined && msg.data.method !== 'thing.event.property.post')
      return void out.rejects.push({ reason: 'bad_shape', detail: `Alink method "${msg.data.method}" is not thing.event.property.post` });
    const points = this.candidates(segments);
    if (Object.keys(msg.data.params).length === 0) return void out.rejects.push({ reason: 'no_known_field', detail: 'Alink params is empty' });
    for (const [identifier, prop] of Object.entries(msg.data.params)) {
      const matching = points.filter((p) => p.field === identifier);
      if (matching.length === 0) {
        out.rejects.push({ reason: 'unknown_point', detail: `Alink property "${identifier}" is not a point of device ${this.device.id}` });
        continue;
      }
      const structured = alinkPropertySchema.safeParse(prop);
      const raw = structured.success ? structured.data.value : prop;
      const rawTs = structured.success ? structured.data.time : undefined;
      for (const p of matching) this.emit(p, raw, rawTs, receivedAt, out);
    }
  }
}
