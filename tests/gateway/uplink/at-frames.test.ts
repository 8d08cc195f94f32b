import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameTooLargeError } from '../../../gateway/uplink/at-frames.js';

/** Frame contents as the framed-tcp profile sends them: JSON with base64 data, and Chinese text in acks. */
const frameText = fc.oneof(
  fc.json().filter((s) => !s.includes('@') && s.length > 0),
  fc.string({ unit: fc.constantFrom('a', '{', '"', '}', '中', '文', '报', '警', '=', '+', '/', '1'), minLength: 1, maxLength: 200 }),
);

/** Cuts a byte stream into packets at arbitrary places (inside a multibyte character or a delimiter too). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const packets: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    packets.push(bytes.subarray(at, p));
    at = p;
  }
  packets.push(bytes.subarray(at));
  return packets;
}

describe('@@ frame decoder', () => {
  it('a frame split across packets parses', () => {
    const d = new FrameDecoder();
    const bytes = encodeFrame('{"dataId":"a","msg":"成功"}');
    expect(d.push(bytes.subarray(0, 5))).toEqual([]);
    expect(d.push(bytes.subarray(5, 23))).toEqual([]); // inside 成 (3 bytes in UTF-8, from byte 21)
    expect(d.push(bytes.subarray(23, bytes.length - 1))).toEqual([]); // the first "@" only
    expect(d.push(bytes.subarray(bytes.length - 1))).toEqual(['{"dataId":"a","msg":"成功"}']);
    expect(d.pending).toBe(0);
  });

  it('two frames in one packet both parse, and the start of a third is kept', () => {
    const d = new FrameDecoder();
    const packet = Buffer.concat([encodeFrame('{"a":1}'), encodeFrame('{"b":2}'), Buffer.from('{"c"')]);
    expect(d.push(packet)).toEqual(['{"a":1}', '{"b":2}']);
    expect(d.push(Buffer.from(':3}@@'))).toEqual(['{"c":3}']);
  });

  it('property: any frames, cut into packets anywhere, come out whole and in order', () => {
    fc.assert(
      fc.property(fc.array(frameText, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map(encodeFrame));
        const d = new FrameDecoder();
        const out: string[] = [];
        for (const packet of cut(stream, cuts)) out.push(...d.push(packet));
        expect(out).toEqual(frames);
        expect(d.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('a peer that never sends the delimiter cannot make it buffer without end', () => {
    const d = new FrameDecoder(1024);
    expect(() => d.push(Buffer.alloc(2000, 0x61))).toThrow(FrameTooLargeError);
    expect(d.pending).toBe(0);
    expect(d.push(encodeFrame('{}'))).toEqual(['{}']);
  });
});
