export type FailureMode =
  /** Accept and acknowledge. */
  | 'ok'
  /** HTTP 500 for every request. */
  | 'http500'
  /** HTTP 200 with a business error code (the platform refuses the data). */
  | 'reject'
  /** Stop listening: connections are refused. */
  | 'refuse'
  /** Answer after `slowMs`. */
  | 'slow'
  /**
   * Take the message, then drop the connection before the answer is complete (TCP: half of the
   * acknowledgement frame; HTTP: no response at all). The gateway must resend; the platform drops
   * the repeat on dataId.
   */
  | 'drop';

export const FAILURE_MODES: readonly FailureMode[] = ['ok', 'http500', 'reject', 'refuse', 'slow', 'drop'];

export type PlatformProfile = 'mem-http-sm4' | 'mqtt' | 'steel-rest' | 'framed-tcp';

/** What an endpoint of the simulator asks of the simulator: its failure mode, and the shared record of arrivals. */
export interface EndpointHost {
  mode(): FailureMode;
  slowMs(): number;
  /** Validates and records one envelope JSON; the problem when invalid. `dryRun` validates only. */
  record(profile: PlatformProfile, json: string, dryRun?: boolean): string | undefined;
  rejected(profile: PlatformProfile, reason: string): void;
  /** Warnings issued and not yet acknowledged by a poll (steel-rest, mem-http-sm4). */
  pendingWarnings(): unknown[];
  /** A gateway acknowledged receipt of these warnings; false when told to fail receipts (answer 500). */
  warningsReceived(warningIds: readonly string[]): boolean;
}
