/**
 * `@@`-delimited frames on a TCP stream (the hazardous-chemicals platforms' framing): each frame is
 * one JSON envelope followed by `@@`. TCP delivers bytes, not frames: a frame may come in several
 * packets, several frames in one, and a delimiter may itself be split between two packets. Bytes
 * are kept until the delimiter arrives and decoded as UTF-8 only then, so a Chinese character split
 * between packets is never mangled.
 */
export const FRAME_DELIMITER = '@@';
const DELIM = Buffer.from(FRAME_DELIMITER, 'ascii');

export function encodeFrame(json: string): Buffer {
  return Buffer.concat([Buffer.from(json, 'utf8'), DELIM]);
}

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`frame larger than ${limit} bytes without a "@@" delimiter (${size} bytes so far)`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** maxFrameBytes: a peer that never sends the delimiter cannot make us buffer without end. */
  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  /** Feeds a chunk; returns the frames it completed (empty frames, e.g. "@@@@", are skipped). */
  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: string[] = [];
    let start = 0;
    for (;;) {
      const at = this.buf.indexOf(DELIM, start);
      if (at < 0) break;
      if (at > start) frames.push(this.buf.toString('utf8', start, at));
      start = at + DELIM.length;
    }
    this.buf = start === 0 ? this.buf : this.buf.subarray(start);
    if (this.buf.length > this.maxFrameBytes) {
      const size = this.buf.length;
      this.buf = Buffer.alloc(0);
      throw new FrameTooLargeError(size, this.maxFrameBytes);
    }
    return frames;
  }

  /** Bytes of an unfinished frame (a connection closed here lost that frame). */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}
