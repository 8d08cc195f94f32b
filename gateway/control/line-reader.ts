/**
 * Splits a byte stream into newline-terminated lines without ever holding more than `maxLineBytes`
 * of one line. A longer line is reported once (`onTooLong`) and its bytes are dropped up to the next
 * newline, after which reading goes on: a 512 MB line must cost nothing but the refusal.
 */
export class BoundedLineReader {
  private parts: Buffer[] = [];
  private size = 0;
  /** Dropping the rest of an over-long line until its newline. */
  private skipping = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: (bytesSeen: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.skipping) {
        const piece = chunk.subarray(start, end);
        if (this.size + piece.length > this.maxLineBytes) {
          this.onTooLong(this.size + piece.length);
          this.parts = [];
          this.size = 0;
          this.skipping = nl < 0;
        } else {
          this.parts.push(piece);
          this.size += piece.length;
          if (nl >= 0) {
            const line = Buffer.concat(this.parts, this.size).toString('utf8').replace(/\r$/, '');
            this.parts = [];
            this.size = 0;
            this.onLine(line);
          }
        }
      } else if (nl >= 0) this.skipping = false;
      if (nl < 0) break;
      start = nl + 1;
    }
  }
}
