import { z } from 'zod';

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
  });

export type HttpSection = z.infer<typeof httpSectionSchema>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
