import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { INLINE_UPLOAD_MAX_BYTES, MAX_ATTACHMENT_BYTES, sniffMimeType } from '../attachments';
import type { JsonObject, UploadFile } from '../mapping/payloads';

/** Longest a file may take to read when sent; past it the file counts as unavailable. */
const FILE_READ_DEADLINE_MILLIS = 10_000;

/**
 * Reads a file named when it was recorded, bounded whatever it has become since: opened once
 * (non-blocking, so a FIFO put in its place cannot hold a thread-pool thread), checked on the open
 * handle to be a regular file (not a device or FIFO, wherever a symlink now points), read to at
 * most `limit + 1` bytes (a file grown past the limit is refused without reading it whole), within
 * a deadline. Undefined when any of that fails.
 */
async function readFileBounded(path: string, limit: number): Promise<Uint8Array | undefined> {
  let handle: FileHandle | undefined;
  const read = (async () => {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > limit) return undefined;
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, limit) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > limit ? undefined : buffer.subarray(0, filled);
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), FILE_READ_DEADLINE_MILLIS);
    timer.unref?.();
  });
  try {
    return await Promise.race([read, deadline]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    // Closed once the read is over, even when the deadline won (the read then finishes unheard).
    void read.catch(() => undefined).finally(() => handle?.close().catch(() => undefined));
  }
}

/** A request body for `POST /api/attachments/`, and the files that could not be read for it. */
export interface UploadBody {
  /** Undefined when no file could be read: nothing to send. */
  readonly body: string | Uint8Array | undefined;
  readonly contentType: string;
  /** Files whose bytes were gone (a removed file, a file grown past the limit). */
  readonly unavailable: readonly UploadFile[];
}

/** A file's bytes, read now for a path or Blob. */
async function bytesOf(file: UploadFile): Promise<Uint8Array | undefined> {
  const { source } = file;
  try {
    if (source.kind === 'bytes') return source.bytes;
    if (source.kind === 'path') return await readFileBounded(source.path, MAX_ATTACHMENT_BYTES);
    // A Blob's size was checked when recorded and a Blob cannot change.
    const bytes = new Uint8Array(await source.blob.arrayBuffer());
    return bytes.byteLength <= MAX_ATTACHMENT_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/**
 * Builds an upload (agentsight-api.md §3.5): base64 JSON when the files total at most
 * {@link INLINE_UPLOAD_MAX_BYTES} (variants A, B), multipart/form-data above (C, D), which carries
 * the bytes as they are. With `messageId` the files are linked to that message (B, D); without,
 * they are the conversation's (A, C). The conversation's id is always known here, so the Python
 * SDK's `"None"` texts and missing parts (§9, quirks 1–3) cannot happen. Multipart is encoded by
 * the runtime's own `FormData` and `Response` (undici), not by hand.
 */
export async function buildUploadBody(
  fields: JsonObject,
  files: readonly UploadFile[],
  conversationPk: number,
  messageId: number | undefined,
): Promise<UploadBody> {
  const unavailable: UploadFile[] = [];
  const read: { file: UploadFile; bytes: Uint8Array; mimeType: string }[] = [];
  for (const file of files) {
    const bytes = await bytesOf(file);
    if (bytes === undefined) unavailable.push(file);
    else read.push({ file, bytes, mimeType: file.mimeType ?? sniffMimeType(bytes) });
  }
  if (read.length === 0) return { body: undefined, contentType: '', unavailable };
  const total = read.reduce((sum, r) => sum + r.bytes.byteLength, 0);
  const link = messageId === undefined ? { mode: 'base64' } : { message: messageId };
  if (total <= INLINE_UPLOAD_MAX_BYTES) {
    const attachments = read.map((r) => ({
      filename: r.file.filename,
      mime_type: r.mimeType,
      data: toBase64(r.bytes),
    }));
    const body = JSON.stringify({ ...fields, attachments, ...link, conversation: conversationPk });
    return { body, contentType: 'application/json', unavailable };
  }
  const form = new FormData();
  form.append('timestamp', String(fields.timestamp));
  form.append('conversation', String(conversationPk));
  form.append('sender', String(fields.sender));
  form.append('mode', 'form_data');
  form.append('metadata', JSON.stringify(fields.metadata ?? {}));
  read.forEach((r, index) => {
    form.append(`attachment_${index}`, new Blob([r.bytes], { type: r.mimeType }), r.file.filename);
  });
  if (messageId !== undefined) form.append('message', String(messageId));
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type') ?? 'multipart/form-data';
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType, unavailable };
}
