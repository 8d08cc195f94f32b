import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The image types accepted, recognised by their first bytes (never by the name or the declared type). */
export type PhotoType = { mime: 'image/jpeg'; ext: 'jpg' } | { mime: 'image/png'; ext: 'png' } | { mime: 'image/webp'; ext: 'webp' };

/** JPEG FF D8 FF; PNG 89 50 4E 47 0D 0A 1A 0A; WebP "RIFF" <size> "WEBP". */
export function sniffImage(bytes: Uint8Array): PhotoType | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { mime: 'image/jpeg', ext: 'jpg' };
  if (b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v)) return { mime: 'image/png', ext: 'png' };
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { mime: 'image/webp', ext: 'webp' };
  return undefined;
}

/**
 * Photos of hidden-danger records under <dataDir>/hidden-danger/photos/<record id>/. File names are
 * made here (a UUID and the sniffed extension), so no name from a client ever reaches the disk.
 */
export class PhotoFiles {
  constructor(private readonly root: string) {}

  static under(dataDir: string): PhotoFiles {
    return new PhotoFiles(join(dataDir, 'hidden-danger', 'photos'));
  }

  /** Writes and fsyncs the file before its row is committed, so a committed row always has its file. */
  write(recordId: string, bytes: Uint8Array, type: PhotoType): { id: string; file: string } {
    const id = randomUUID();
    const file = `${id}.${type.ext}`;
    const dir = join(this.root, safeDir(recordId));
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, file), 'wx', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { id, file };
  }

  /** Removes a file whose row could not be committed (no orphan files). */
  remove(recordId: string, file: string): void {
    rmSync(join(this.root, safeDir(recordId), file), { force: true });
  }

  read(recordId: string, file: string): Buffer {
    return readFileSync(join(this.root, safeDir(recordId), file));
  }
}

/** Record ids are made by the store (YH20260101-0001); anything else is refused rather than joined into a path. */
function safeDir(recordId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(recordId)) throw new Error(`bad record id for a photo path: ${recordId}`);
  return recordId;
}
