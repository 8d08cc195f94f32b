import { z } from 'zod';
import { mqttProfile } from './mqtt.js';
import { memHttpSm4Profile } from './mem-http-sm4.js';
import { steelRestProfile } from './steel-rest.js';
import { framedTcpProfile } from './framed-tcp.js';
import type { ProfileContext, UplinkProfile, UplinkTransport } from './profile.js';

/** Every uplink profile; a new platform's wire format is a file in this folder plus one line here. */
export const UPLINK_PROFILES = [mqttProfile, memHttpSm4Profile, steelRestProfile, framedTcpProfile] as const;

type AnyProfile = (typeof UPLINK_PROFILES)[number];
type ProfileSchema = AnyProfile['schema'];

export const uplinkTransportSchema = z.discriminatedUnion('profile', UPLINK_PROFILES.map((p) => p.schema) as unknown as [ProfileSchema, ...ProfileSchema[]]);
export type UplinkTransportConfig = z.infer<typeof uplinkTransportSchema>;

export function createTransport(cfg: UplinkTransportConfig, ctx: ProfileContext): UplinkTransport {
  const profile = UPLINK_PROFILES.find((p) => p.name === cfg.profile) as unknown as UplinkProfile<z.ZodType<{ profile: string }>> | undefined;
  if (!profile) throw new Error(`uplink.transport.profile: unknown profile "${cfg.profile}"`);
  return profile.create(cfg, ctx);
}
