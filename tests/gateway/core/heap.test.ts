import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbageNow } from '../../../gateway/core/heap.js';

describe('collectGarbageNow', () => {
  it('frees what nothing references any more, at once (the start-up peak of a large config)', async () => {
    const ref = new WeakRef(Array.from({ length: 1000 }, () => new Array<number>(100).fill(1)));
    // A WeakRef keeps its target for the rest of the job that created or read it.
    await nextTurn();
    collectGarbageNow();
    expect(ref.deref()).toBeUndefined();
    // The function is looked up once and reused.
    expect(() => collectGarbageNow()).not.toThrow();
  });
});
