import { publishField } from '../../gateway/config/publish-schema.js';
import { z } from 'zod';
import { basePointFields } from '../../gateway/config/point-schema.js';
import { durationSchema } from '../../gateway/core/duration.js';
import { scaleSchema } from '../shared/scaling.js';
import { compileTemplate } from './topic-template.js';

/** Payload formats a subscription can carry. */
export const MQTT_FORMATS = ['simple', 'json', 'value', 'alink', 'sparkplug', 'ai-video'] as const;
export type MqttFormat = (typeof MQTT_FORMATS)[number];

/** A JSON pointer (RFC 6901), "" = the whole document. */
const jsonPointerSchema = z.string().regex(/^(\/([^~/]|~[01])*)*$/, 'a JSON pointer such as /data/co (RFC 6901)');

export const mqttPointSchema = z.strictObject({
  ...basePointFields,
  /** number (default) or boolean. Numbers may arrive as numeric strings; booleans as true/false or 0/1. */
  type: z.enum(['number', 'boolean']).default('number'),
  /**
   * Where the value is: json format, a JSON pointer (/data/co); alink, the property identifier (CO);
   * sparkplug, the metric name (Gas/CO); ai-video, the event type (未戴安全帽). Not used by the simple
   * and value formats.
   */
  field: z.string().optional(),
  /**
   * Named topic segments this point's messages have, e.g. { sensor: co-01 } for plant/{area}/{sensor}.
   * ai-video: `camera` matches the event's camera id too.
   */
  match: z.record(z.string(), z.string()).optional(),
  scale: scaleSchema.optional(),
  /** json format: a status field beside the value, and the values of it that mean Good. */
  qualityField: jsonPointerSchema.optional(),
  goodValues: z.array(z.union([z.string(), z.number(), z.boolean()])).default([0, 'ok', 'OK', 'normal', true]),
  /** The point goes stale (BadNotConnected) when not heard from for this long; default the device's. */
  expectedPeriod: durationSchema.optional(),
});
export type MqttPoint = z.output<typeof mqttPointSchema>;

export const subscriptionSchema = z
  .strictObject({
    /**
     * A topic template: MQTT levels, `+` and a final `#`, and named segments `{name}` (matching one
     * level) whose values points select with `match`, e.g. plant/{area}/{sensor}/data.
     */
    topic: z.string().min(1),
    format: z.enum(MQTT_FORMATS),
    /** json format: where the device timestamp is (ms since epoch, or an ISO 8601 string). */
    tsField: jsonPointerSchema.optional(),
  })
  .superRefine((s, ctx) => {
    try {
      compileTemplate(s.topic);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: (err as Error).message });
    }
  });
export type MqttSubscription = z.output<typeof subscriptionSchema>;

export const mqttDeviceSchema = z
  .strictObject({
    type: z.literal('mqtt'),
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'a device id is letters, digits and _ . @ - (it is a topic level and a user name)'),
    name: z.string().optional(),
    enabled: z.boolean().default(true),
    ...publishField,
    /**
     * Broker: omitted, the gateway's own (embedded or its external one, with the gateway's
     * credential); or an external broker URL (mqtt://, mqtts://).
     */
    url: z.string().regex(/^mqtts?:\/\//, 'mqtt://host:port or mqtts://host:port').optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** mqtts: CA file to trust, client certificate and key files. */
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    /** Default: gateway-<gateway id>-mqtt-<device id> (reserved on the embedded broker). */
    clientId: z.string().min(1).max(64).optional(),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
    /** false: a persistent session; QoS 1 messages sent while the gateway was away are delivered on return. */
    cleanSession: z.boolean().default(true),
    /**
     * What to subscribe to. Omitted: the simple form, gw/<gateway id>/ingest/<device id> with
     * {"point","value","ts"} messages.
     */
    subscriptions: z.array(subscriptionSchema).default([]),
    /** Device timestamps further than this from the gateway clock are replaced by the receive time (and counted). */
    maxClockSkew: durationSchema.default(300_000),
    /**
     * Read coalescing (ms): while messages arrive faster than this, the connection is read at most
     * once per window (gateway/core/mqtt-socket.ts). 0 reads every segment as it comes.
     */
    readCoalesceMs: z.number().min(0).max(20).default(1),
    /** Messages larger than this are rejected unread. */
    maxMessageBytes: z.number().int().min(64).default(256 * 1024),
    /** Default expected period of the points: silent for longer, a point goes stale and comm_ok false. */
    expectedPeriod: durationSchema.default(60_000),
    /** ai-video: events below this confidence (0–1) are ignored (counted). */
    minConfidence: z.number().min(0).max(1).default(0.6),
    /** ai-video: an event point stays true this long after the camera's last event of that type. */
    eventHold: durationSchema.default(60_000),
    /** Sparkplug: how long to wait for a missing seq before asking the node for a rebirth. */
    reorderTimeout: durationSchema.default(2000),
    points: z.array(mqttPointSchema).min(1),
  })
  .superRefine((d, ctx) => {
    const sparkplug = d.subscriptions.some((s) => s.format === 'sparkplug');
    d.points.forEach((p, i) => {
      const needsField = d.subscriptions.some((s) => s.format === 'json' || s.format === 'alink' || s.format === 'sparkplug' || s.format === 'ai-video');
      if (needsField && p.field === undefined && !d.subscriptions.some((s) => s.format === 'value' || s.format === 'simple'))
        ctx.addIssue({ code: 'custom', path: ['points', i, 'field'], message: `point ${p.id} needs field: where its value is in the message` });
      if (p.match && !sparkplug) {
        const names = new Set(d.subscriptions.flatMap((s) => compileTemplateSafe(s.topic)));
        const aiVideo = d.subscriptions.some((s) => s.format === 'ai-video');
        for (const k of Object.keys(p.match)) if (!names.has(k) && !(aiVideo && k === 'camera')) ctx.addIssue({ code: 'custom', path: ['points', i, 'match', k], message: `no subscription topic has a segment {${k}}` });
      }
    });
    if (sparkplug && !d.subscriptions.every((s) => s.format === 'sparkplug')) ctx.addIssue({ code: 'custom', path: ['subscriptions'], message: 'a Sparkplug device has only sparkplug subscriptions (one edge node per device)' });
  });
export type MqttDevice = z.output<typeof mqttDeviceSchema>;

function compileTemplateSafe(t: string): string[] {
  try {
    return compileTemplate(t).names;
  } catch {
    return [];
  }
}
