import type { PublishPolicyConfig } from '../../gateway/config/publish-schema.js';

/**
 * A device in the simple form on the gateway's own broker (no `url`, no `subscriptions`) already
 * publishes its readings as `{"point","value","ts"}` on gw/<id>/ingest/<device>, a topic every reader
 * of gw/<id>/# receives: republishing each one on gw/<id>/readings/<point> would double the broker's
 * traffic (and cost the gateway a third of its CPU at 40,000 msg/s) to say the same again. So its
 * points are not republished unless the device or point says `publish:`. Mapped formats (json,
 * Alink, Sparkplug, value, ai-video) and other brokers follow mqtt.publishReadings: there the reading
 * is new information (a point id, scaled, with quality) that no HMI on the gateway's broker has.
 */
export function defaultPublish(device: { type: string; url?: string | undefined; subscriptions?: readonly unknown[] }): PublishPolicyConfig | undefined {
  return device.url === undefined && (device.subscriptions ?? []).length === 0 ? false : undefined;
}
