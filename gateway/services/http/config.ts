import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';

/** `http:` — the gateway's HTTP server: health, readiness, Prometheus metrics, and the API and console. */
export const httpSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Bind address. Loopback by default; binding elsewhere without TLS prints a warning. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    tls: z
      .strictObject({
        /** PEM certificate chain file. */
        cert: z.string().min(1),
        /** PEM private key file. */
        key: z.string().min(1),
      })
      .optional(),
    /** Largest request body accepted, in bytes. */
    bodyLimit: z.number().int().min(1024).default(1_048_576),
    /** Console and API login sessions (server-side, in gateway.db). */
    session: z
      .strictObject({
        /** A session unused this long ends (the console's live stream keeps it in use). */
        idleTimeout: durationSchema.default(30 * 60_000).refine((ms) => ms >= 60_000, 'idleTimeout must be at least 1m'),
        /** A session ends this long after login, used or not: one shift plus handover. */
        absoluteTimeout: durationSchema.default(12 * 3_600_000).refine((ms) => ms >= 60_000, 'absoluteTimeout must be at least 1m'),
      })
      .default({ idleTimeout: 30 * 60_000, absoluteTimeout: 12 * 3_600_000 }),
    /** Failed logins allowed per user name within the window before logins are refused for a while. */
    loginRateLimit: z
      .strictObject({
        maxFailures: z.number().int().min(1).default(5),
        window: durationSchema.default(15 * 60_000),
      })
      .default({ maxFailures: 5, window: 15 * 60_000 }),
    /** Shelve durations the console offers and the API accepts (each at most alarms.maxShelve). */
    shelveDurations: z.array(durationSchema).min(1).default([15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000, 8 * 3_600_000]),
    /** Longest shelve an operator may set; longer ones need a supervisor (alarms.maxShelve caps both). */
    operatorMaxShelve: durationSchema.default(2 * 3_600_000),
  });

export type HttpSection = z.infer<typeof httpSectionSchema>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
