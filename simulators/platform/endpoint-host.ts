import type { FailureMode, PlatformProfile } from './platform-simulator.js';

/** What an endpoint of the simulator asks of the simulator: its failure mode, and the shared record of arrivals. */
export interface EndpointHost {
  mode(): FailureMode;
  slowMs(): number;
  /** Validates and records one envelope JSON; the problem when invalid. `dryRun` validates only. */
  record(profile: PlatformProfile, json: string, dryRun?: boolean): string | undefined;
  rejected(profile: PlatformProfile, reason: string): void;
}
