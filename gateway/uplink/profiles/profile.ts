import type { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { OutgoingMessage } from '../envelope.js';
import type { WarningOutcome } from '../warning-inbox.js';

/** What a profile gets when the uplink creates its transport. */
export interface ProfileContext {
  logger: Logger;
  metrics: Metrics;
  enterpriseCode: string;
  gatewayCode: string;
}

/**
 * One connection to the platform. `send` resolves only when the platform acknowledged the message
 * (MQTT PUBACK, HTTP 2xx with the success code) and rejects otherwise, within its own timeout; the
 * uplink sends one message at a time, so order on the wire is queue order.
 */
export interface UplinkTransport {
  send(message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
  /** For logs: where it sends, without secrets. */
  describe(): string;
  /**
   * Profiles whose platform pushes warnings down (mqtt: a subscription; steel-rest, mem-http-sm4: a
   * poll), when configured: starts handing each one to `inbox`, and acknowledges receipt to the
   * platform only for those it took (new or duplicate). Stops with close().
   */
  receiveWarnings?(inbox: WarningReceiver): void;
}

/** Where a profile hands the warnings it receives (the uplink's WarningInbox). */
export interface WarningReceiver {
  /** Parses, checks, dedups and stores one warning from `origin` (topic or URL); synchronous. */
  accept(raw: unknown, origin: string): WarningOutcome;
}

/**
 * A wire format / transport the platform publishes in its access spec (数据接入规范). Adding one is
 * a file in this folder plus one line in registry.ts.
 */
export interface UplinkProfile<S extends z.ZodType<{ profile: string }>> {
  readonly name: string;
  readonly schema: S;
  create(config: z.infer<S>, ctx: ProfileContext): UplinkTransport;
}

/** A send that failed; `retryable: false` means the platform rejected the message itself. */
export class UplinkSendError extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'UplinkSendError';
  }
}
