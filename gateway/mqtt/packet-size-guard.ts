/**
 * Follows MQTT packet boundaries in a byte stream (fixed header: one type byte, then the remaining
 * length as a 1–4 byte varint) and reports a packet longer than the limit as soon as its header
 * arrives, before its body is buffered: a 50 MB publish is refused after 5 bytes, not after 50 MB.
 */
export class PacketSizeGuard {
  /** 0: expecting the type byte; 1: reading the length varint; 2: skipping the body. */
  private state: 0 | 1 | 2 = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** False when the stream holds a packet over the limit (or a malformed length); the caller closes. */
  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 2) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 0;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 0) {
        this.state = 1;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes >= 4) return false;
        continue;
      }
      // Header (type byte + length bytes) plus the body.
      if (1 + this.lengthBytes + this.length > this.maxPacketBytes) return false;
      this.remaining = this.length;
      this.state = this.length > 0 ? 2 : 0;
    }
    return true;
  }
}
