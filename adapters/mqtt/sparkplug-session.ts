import type { MqttDevice, MqttPoint } from './config.js';
import type { Decoded } from './decode.js';
import { decodeSparkplug, encodeSparkplug, type SparkplugMetric } from './sparkplug-codec.js';
import { pointValue, sourceTime } from './values.js';

interface EdgeNode {
  online: boolean;
  bdSeq: number | undefined;
  /** Next seq expected (0–255). */
  expected: number;
  /** A seq that went missing, and since when; cleared if it arrives within the reorder timeout. */
  gap: { missing: number; since: number } | undefined;
  aliases: Map<number, string>;
  lastRebirth: number;
}

export interface SparkplugHooks {
  now(): number;
  /** Publishes a rebirth request (NCMD Node Control/Rebirth). */
  rebirth(topic: string, payload: Buffer): void;
}

/**
 * Sparkplug B host-side session for the edge nodes of one device entry: NBIRTH/DBIRTH learn the
 * metric aliases and reset the sequence; NDATA/DDATA are checked for seq order (a gap not filled
 * within reorderTimeout asks the node for a rebirth and ignores its data until the birth); NDEATH
 * (with the birth's bdSeq) and DDEATH turn the points BadNotConnected. Historical metrics
 * (is_historical) come out apart, with their own timestamps, for history only: on the live bus they
 * would raise alarms for the past and overwrite the latest value with an older one.
 */
export class SparkplugSession {
  private readonly nodes = new Map<string, EdgeNode>();

  constructor(
    private readonly device: MqttDevice,
    private readonly hooks: SparkplugHooks,
  ) {}

  private pointFor(metric: string, deviceId: string | undefined): MqttPoint | undefined {
    return this.device.points.find((p) => p.field === metric && (p.match?.device ?? undefined) === deviceId);
  }

  handle(topic: string, payload: Buffer, receivedAt: number): Decoded {
    const out: Decoded = { readings: [], rejects: [], skewed: 0 };
    const levels = topic.split('/');
    if (levels[0] !== 'spBv1.0' || levels.length < 4 || levels.length > 5) {
      out.rejects.push({ reason: 'bad_shape', detail: 'not a Sparkplug B topic spBv1.0/<group>/<type>/<edge>[/<device>]' });
      return out;
    }
    const [, group, type, edge, deviceId] = levels as [string, string, string, string, string | undefined];
    if (type === 'STATE' || type === 'NCMD' || type === 'DCMD') return out;
    if (payload.length > this.device.maxMessageBytes) {
      out.rejects.push({ reason: 'too_large', detail: `${payload.length} bytes, limit ${this.device.maxMessageBytes}` });
      return out;
    }
    let msg;
    try {
      msg = decodeSparkplug(payload);
    } catch (err) {
      out.rejects.push({ reason: 'sparkplug_decode', detail: `not a Sparkplug B payload: ${(err as Error).message}` });
      return out;
    }
    const key = `${group}/${edge}`;
    let node = this.nodes.get(key);
    const now = this.hooks.now();
    if (type === 'NBIRTH') {
      const bd = msg.metrics.find((m) => m.name === 'bdSeq')?.value;
      node = { online: true, bdSeq: typeof bd === 'bigint' ? Number(bd) : typeof bd === 'number' ? bd : undefined, expected: ((msg.seq ?? 0) + 1) % 256, gap: undefined, aliases: new Map(), lastRebirth: node?.lastRebirth ?? 0 };
      this.nodes.set(key, node);
      this.learnAliases(node, msg.metrics);
      this.emit(node, msg.metrics, undefined, msg.timestamp, receivedAt, out);
      return out;
    }
    if (type === 'NDEATH') {
      const bd = msg.metrics.find((m) => m.name === 'bdSeq')?.value;
      const bdSeq = typeof bd === 'bigint' ? Number(bd) : typeof bd === 'number' ? bd : undefined;
      // A death certificate of an older session (its will arriving late) must not kill the new one.
      if (node && (bdSeq === undefined || node.bdSeq === undefined || bdSeq === node.bdSeq)) {
        node.online = false;
        this.offline(undefined, receivedAt, out, true);
      }
      return out;
    }
    if (!node || !node.online) {
      out.rejects.push({ reason: 'sparkplug_sequence', detail: `${type} from ${key} before its NBIRTH` });
      this.requestRebirth(group, edge, node, now);
      return out;
    }
    // Sequence: every message after NBIRTH carries seq 0–255 in order.
    const seq = msg.seq;
    if (seq !== undefined) {
      if (node.gap && seq === node.gap.missing) node.gap = undefined;
      else if (seq !== node.expected && !node.gap) node.gap = { missing: node.expected, since: now };
      if (seq !== node.gap?.missing) node.expected = (seq + 1) % 256;
    }
    if (type === 'DBIRTH') {
      this.learnAliases(node, msg.metrics);
      this.emit(node, msg.metrics, deviceId, msg.timestamp, receivedAt, out);
    } else if (type === 'DDEATH') {
      this.offline(deviceId, receivedAt, out, false);
    } else if (type === 'NDATA' || type === 'DDATA') {
      this.emit(node, msg.metrics, type === 'DDATA' ? deviceId : undefined, msg.timestamp, receivedAt, out);
    }
    return out;
  }

  /** Called periodically: a sequence gap older than the reorder timeout asks for a rebirth. */
  tick(now: number): void {
    for (const [key, node] of this.nodes) {
      if (!node.gap || now - node.gap.since < this.device.reorderTimeout) continue;
      node.gap = undefined;
      node.online = false;
      const [group, edge] = key.split('/') as [string, string];
      this.requestRebirth(group, edge, node, now);
    }
  }

  private requestRebirth(group: string, edge: string, node: EdgeNode | undefined, now: number): void {
    if (node && now - node.lastRebirth < this.device.reorderTimeout) return;
    if (node) node.lastRebirth = now;
    const payload = encodeSparkplug({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
    this.hooks.rebirth(`spBv1.0/${group}/NCMD/${edge}`, Buffer.from(payload));
  }

  private learnAliases(node: EdgeNode, metrics: SparkplugMetric[]): void {
    for (const m of metrics) if (m.alias !== undefined && m.name !== undefined) node.aliases.set(m.alias, m.name);
  }

  private emit(node: EdgeNode, metrics: SparkplugMetric[], deviceId: string | undefined, payloadTs: number | undefined, receivedAt: number, out: Decoded): void {
    for (const m of metrics) {
      const name = m.name ?? (m.alias !== undefined ? node.aliases.get(m.alias) : undefined);
      if (name === undefined) {
        out.rejects.push({ reason: 'sparkplug_unknown_alias', detail: `alias ${m.alias} was not in a birth certificate` });
        continue;
      }
      if (name === 'bdSeq' || name.startsWith('Node Control/')) continue;
      const point = this.pointFor(name, deviceId);
      if (!point) continue; // a node publishes many metrics; only the configured ones are points
      const v = m.value === null ? undefined : pointValue(point, typeof m.value === 'bigint' ? Number(m.value) : m.value);
      if (v && 'reason' in v) {
        out.rejects.push(v);
        continue;
      }
      if (m.isHistorical) {
        // The past keeps its own time: it goes to history at that time, never to the live bus.
        const raw = m.timestamp ?? payloadTs;
        const ts = raw === undefined ? NaN : Number(raw);
        if (!Number.isFinite(ts) || ts > receivedAt + this.device.maxClockSkew) {
          out.rejects.push({ reason: 'bad_historical_time', detail: `historical metric ${name}: ${raw === undefined ? 'no timestamp' : `timestamp ${String(raw)} is in the future`}` });
          continue;
        }
        (out.historical ??= []).push(v ? { point: point.id, value: v.value, quality: 'Good', ts, receivedAt } : { point: point.id, value: null, quality: 'Bad', ts, receivedAt, reason: 'Sparkplug null value' });
        continue;
      }
      const { ts, skewed } = sourceTime(m.timestamp ?? payloadTs, receivedAt, this.device.maxClockSkew);
      if (skewed) out.skewed++;
      if (!v) out.readings.push({ point: point.id, value: null, quality: 'Bad', ts, receivedAt, reason: 'Sparkplug null value' });
      else out.readings.push({ point: point.id, value: v.value, quality: 'Good', ts, receivedAt });
    }
  }

  private offline(deviceId: string | undefined, receivedAt: number, out: Decoded, wholeNode: boolean): void {
    for (const p of this.device.points) {
      if (!wholeNode && (p.match?.device ?? undefined) !== deviceId) continue;
      out.readings.push({ point: p.id, value: null, quality: 'BadNotConnected', ts: receivedAt, receivedAt, reason: wholeNode ? 'Sparkplug NDEATH' : 'Sparkplug DDEATH' });
    }
  }
}
