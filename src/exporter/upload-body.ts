import { readFile } from 'node:fs/promises';
import { INLINE_UPLOAD_MAX_BYTES, MAX_ATTACHMENT_BYTES, sniffMimeType } from '../attachments';
import type { JsonObject, UploadFile } from './payloads';

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
    const bytes =
      source.kind === 'blob' ? new Uint8Array(await source.blob.arrayBuffer()) : await readFile(source.path);
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
