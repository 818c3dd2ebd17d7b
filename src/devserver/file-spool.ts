import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A file written to the spool: where it is, how big, and its sha256 (hex). */
export interface SpooledFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Where the receiver keeps uploaded files: on disk, in a folder of its own that goes with the
 * server, never in memory (five 60 MB uploads held 468 MB of heap before, and growing).
 */
export class FileSpool {
  private folder: string | undefined;
  private next = 1;

  private newPath(): string {
    this.folder ??= mkdtempSync(join(tmpdir(), 'agentsight-receiver-'));
    return join(this.folder, String(this.next++));
  }

  /** Writes a stream to a new file, hashing it on the way. */
  async fromStream(stream: Readable): Promise<SpooledFile> {
    const path = this.newPath();
    const hash = createHash('sha256');
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
    });
    await pipeline(stream, createWriteStream(path));
    return { path, size, sha256: hash.digest('hex') };
  }

  /** Writes bytes already in memory (a base64 upload of at most the JSON body limit). */
  fromBytes(bytes: Buffer): SpooledFile {
    const path = this.newPath();
    writeFileSync(path, bytes);
    return { path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Removes one file (an upload refused after it was spooled). */
  discard(file: SpooledFile): void {
    rmSync(file.path, { force: true });
  }

  /** Removes every file (the server stops, or forgets its data). */
  clear(): void {
    if (this.folder !== undefined) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}
