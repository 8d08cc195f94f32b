import { describe, expect, it } from 'vitest';
import { decodeChunk, emptySamples, packSamples, type HistorySample } from '../../../../gateway/services/history/chunks.js';

describe('packSamples (loose samples of a batch into one chunk row per point)', () => {
  it('keeps every sample of each point in order, its extremes and quality class, rows in order of first appearance', () => {
    const samples: HistorySample[] = [
      { point: 'ent.B', ts: 2000, value: 1.5, quality: 'Good' },
      { point: 'ent.A', ts: 1000, value: true, quality: 'Good' },
      { point: 'ent.B', ts: 1500, value: null, quality: 'BadTimeout' },
      { point: 'ent.C', ts: 3000, value: Infinity, quality: 'UncertainLastUsableValue' },
      { point: 'ent.B', ts: 2500, value: -4, quality: 'Good' },
    ];
    const rows = packSamples(samples);
    expect(rows.map((r) => [r.point, r.n, r.start, r.end])).toEqual([
      ['ent.B', 3, 1500, 2500],
      ['ent.A', 1, 1000, 1000],
      ['ent.C', 1, 3000, 3000],
    ]);
    const decoded = (i: number) => {
      const out = emptySamples();
      decodeChunk(rows[i]!.data, 0, 10_000, out);
      return out;
    };
    expect(decoded(0)).toEqual({ ts: [2000, 1500, 2500], value: [1.5, null, -4], bad: [false, true, false] });
    expect(decoded(1)).toEqual({ ts: [1000], value: [1], bad: [false] });
    // A non-finite number is stored as "no number", an Uncertain quality is not Bad.
    expect(decoded(2)).toEqual({ ts: [3000], value: [null], bad: [false] });
    expect(packSamples([])).toEqual([]);
  });
});
