import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection, now. For the few moments where the process has just dropped a lot
 * (the parse of a large config file: its event list and intermediate objects are some 100 MB for
 * 10,000 points) and is about to allocate a lot more (the rule set, alarm states, per-point state):
 * V8 would otherwise grow the heap to hold both, and the resident size keeps that high-water mark
 * for the life of the process. Costs some tens of milliseconds, at start-up only.
 */
export function collectGarbageNow(): void {
  if (!gc) {
    // Exposes `gc` to contexts created from now on; the main context is unchanged.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
