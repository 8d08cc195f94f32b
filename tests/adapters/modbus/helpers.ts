import type { AdapterContext } from '../../../adapters/types.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { waitFor } from '../../helpers/server-process.js';

/** An adapter context that keeps every published reading. */
export class RecordingContext implements AdapterContext {
  readonly readings: Reading[] = [];
  readonly metrics = new Metrics();
  readonly log = silentLogger;
  now = () => Date.now();
  publish = (r: Reading): void => {
    this.readings.push(r);
  };
  /** As the gateway's: a publisher per point, which must only ever be given readings of that point. */
  publisherOf = (point: string) => ({
    publish: (r: Reading): void => {
      if (r.point !== point) throw new Error(`reading of ${r.point} handed to the publisher of ${point}`);
      this.publish(r);
    },
  });

  latest(point: string): Reading | undefined {
    for (let i = this.readings.length - 1; i >= 0; i--) if (this.readings[i]!.point === point) return this.readings[i];
    return undefined;
  }

  /** Waits until the latest reading of `point` satisfies `check`. */
  async until(point: string, check: (r: Reading) => boolean, timeoutMs = 5000): Promise<Reading> {
    await waitFor(() => {
      const r = this.latest(point);
      return r !== undefined && check(r);
    }, timeoutMs, `a reading of ${point} that passes the check (latest: ${JSON.stringify(this.latest(point))})`);
    return this.latest(point)!;
  }

  clear(): void {
    this.readings.length = 0;
  }
}
