import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** Spool folders are named `agentsight-receiver-<pid>-<random>`: the pid says whose it is. */
const FOLDER_PREFIX = 'agentsight-receiver-';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes the spool folders of receivers that died without cleaning up (SIGKILL, a crash, a
 * closed terminal before SIGHUP was handled): issue 30 found them left for good. Returns how
 * many it removed; never throws.
 */
export function removeStaleSpools(folder = tmpdir()): number {
  let removed = 0;
  try {
    for (const name of readdirSync(folder)) {
      const pid = Number(/^agentsight-receiver-(\d+)-/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      rmSync(join(folder, name), { recursive: true, force: true });
      removed += 1;
    }
  } catch {
    // An unreadable temp folder: nothing of ours can be found there either.
  }
  return removed;
}

/**
 * Where the receiver keeps uploaded files: on disk, in a folder of its own that goes with the
 * server, never in memory (five 60 MB uploads held 468 MB of heap before, and growing). The
 * folder is named for the process, so the next receiver to start removes it if this one dies
 * without cleaning up.
 */
export class FileSpool {
  private folder: string | undefined;
  private next = 1;

  constructor(private readonly root = tmpdir()) {}

  /** The spool's folder, once a file was written. */
  get path(): string | undefined {
    return this.folder;
  }

  private newPath(): string {
    this.folder ??= mkdtempSync(join(this.root, `${FOLDER_PREFIX}${process.pid}-`));
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
    try {
      await pipeline(stream, createWriteStream(path));
    } catch (error) {
      // A full disk (ENOSPC) or a broken upload: nothing half-written stays behind.
      this.discard({ path, size, sha256: '' });
      throw error;
    }
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
    // Only ever a file of this spool's own folder.
    if (this.folder !== undefined && file.path.startsWith(`${this.folder}/`)) rmSync(file.path, { force: true });
  }

  /** Removes every file (the server stops, or forgets its data). */
  clear(): void {
    if (this.folder !== undefined) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}
