import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import { deadbandSchema } from './limits-schema.js';

/**
 * How a point's readings go out on MQTT (gw/<id>/readings/<point>): `false` never (history, rules
 * and the uplink still get every reading); `true` on every change; or report by exception, as
 * Neuron and the ThingsBoard gateway do: when the value moves by more than the deadband (absolute,
 * or "N%" of the point's range), when the quality changes, and at least every maxInterval. A plant
 * polling 10,000 registers every 100 ms must not have to push 100,000 messages a second.
 */
export const publishPolicySchema = z.union([
  z.boolean(),
  z.strictObject({
    deadband: deadbandSchema.optional(),
    /** Republished at least this often when unchanged (default mqtt.readingsMaxInterval; 0: never). */
    maxInterval: durationSchema.optional(),
  }),
]);
export type PublishPolicyConfig = z.infer<typeof publishPolicySchema>;

/** Device- or point-level `publish:` field; a point's setting wins over its device's. */
export const publishField = { publish: publishPolicySchema.optional() };
