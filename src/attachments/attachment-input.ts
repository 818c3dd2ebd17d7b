import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { type AttachmentSource, holdAttachment, pendingAttachmentRoom } from './attachment-store';
import { generatedFilename } from './filenames';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_RECORD, MAX_FILENAME_LENGTH } from './limits';
import { sniffMimeType } from './mime-sniff';

/**
 * A file to attach. Give exactly one of `data` (a Buffer or other Uint8Array, a Blob or File, or a
 * standard base64 string) or `path` (a file read when it is sent).
 */
export interface Attachment {
  /** The bytes: a Buffer or other Uint8Array (copied when recorded), a Blob or File, or standard base64 text. */
  data?: Uint8Array | Blob | string;
  /** A file on disk, read when it is sent (it must still be there then). */
  path?: string;
  /** The file's name; default the File's or path's name, else `attachment_<n>` with the type's extension. */
  filename?: string;
  /** The MIME type; default sniffed from the bytes (never guessed from the name). */
  mimeType?: string;
}

/** Why an attachment will not be delivered, decided when it was recorded. */
export type RecordedDrop = 'invalid' | 'over_limit' | 'over_budget';

/** What a span says of one attachment (`agentsight.attachments`): never the bytes. */
export interface AttachmentDescriptor {
  /** Its key in the pending store; absent when dropped. */
  id?: string;
  filename: string;
  /** Absent while unknown (sniffed when sent). */
  mime_type?: string;
  size: number;
  /** Hex sha256 of the bytes; absent for a path or Blob (read when sent). */
  sha256?: string;
  /** Set when it will not be delivered. */
  dropped?: RecordedDrop;
}

/** Descriptors of a list of attachments, and what was wrong with any. */
export interface RecordedAttachments {
  readonly descriptors: AttachmentDescriptor[];
  readonly problems: string[];
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function cleanFilename(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  // Control characters would break a multipart header line; they become `_`.
  const clean = Array.from(name, (c) => ((c.codePointAt(0) as number) < 0x20 || c === '\u007f' ? '_' : c))
    .join('')
    .trim();
  if (clean === '') return undefined;
  if (clean.length <= MAX_FILENAME_LENGTH) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
  return clean.slice(0, MAX_FILENAME_LENGTH - extension.length) + extension;
}

function cleanMimeType(type: unknown): string | undefined {
  return typeof type === 'string' && /^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/.test(type.trim()) ? type.trim() : undefined;
}

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

interface Normalised {
  source: AttachmentSource;
  size: number;
  cost: number;
  filename: string | undefined;
  mimeType: string | undefined;
  sha256: string | undefined;
}

const overBudget = (what: string, size: number) => ({
  problem: `${what} (${mebibytes(size)}) did not fit the pending-attachment budget`,
  drop: 'over_budget' as const,
});

/** One input as a source, or what is wrong with it. */
function normalise(input: unknown, position: number): Normalised | { problem: string; drop: RecordedDrop } {
  const what = `attachment ${position}`;
  if (typeof input !== 'object' || input === null) {
    return { problem: `${what}: expected { data } or { path }`, drop: 'invalid' };
  }
  const { data, path, filename, mimeType } = input as Attachment;
  const shownName = cleanFilename(filename) ?? what;
  const givenType = cleanMimeType(mimeType);
  if (mimeType !== undefined && givenType === undefined) {
    return { problem: `${what}: mimeType must look like type/subtype`, drop: 'invalid' };
  }
  const tooLarge = (size: number) => ({
    problem: `${what} is ${mebibytes(size)}, over the ${mebibytes(MAX_ATTACHMENT_BYTES)} limit per file`,
    drop: 'over_limit' as const,
  });
  if ((data === undefined) === (path === undefined)) {
    return { problem: `${what}: give exactly one of data or path`, drop: 'invalid' };
  }
  if (typeof path === 'string' || path !== undefined) {
    if (typeof path !== 'string' || path === '')
      return { problem: `${what}: path must be a file path`, drop: 'invalid' };
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) return { problem: `${what}: ${basename(path)} is not a file`, drop: 'invalid' };
      size = stat.size;
    } catch (error) {
      return {
        problem: `${what}: cannot read ${basename(path)} (${(error as { code?: string }).code})`,
        drop: 'invalid',
      };
    }
    if (size > MAX_ATTACHMENT_BYTES) return tooLarge(size);
    return {
      source: { kind: 'path', path },
      size,
      cost: 0,
      filename: cleanFilename(filename) ?? cleanFilename(basename(path)),
      mimeType: givenType,
      sha256: undefined,
    };
  }
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    if (data.size > MAX_ATTACHMENT_BYTES) return tooLarge(data.size);
    if (!pendingAttachmentRoom(data.size)) {
      return overBudget(cleanFilename(filename) ?? cleanFilename((data as { name?: unknown }).name) ?? what, data.size);
    }
    return {
      source: { kind: 'blob', blob: data },
      size: data.size,
      cost: data.size,
      filename: cleanFilename(filename) ?? cleanFilename((data as { name?: unknown }).name),
      mimeType: givenType ?? cleanMimeType(data.type),
      sha256: undefined,
    };
  }
  let bytes: Uint8Array;
  if (typeof data === 'string') {
    // Strict standard base64 (§7.6): a malformed string is a mistake worth hearing about.
    if (data.length > (MAX_ATTACHMENT_BYTES * 4) / 3 + 4) return tooLarge(Math.floor((data.length * 3) / 4));
    if (!STANDARD_BASE64.test(data)) {
      return {
        problem: `${what}: data is a string but not standard base64 (A-Z a-z 0-9 + / with = padding)`,
        drop: 'invalid',
      };
    }
    const decodedSize = Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
    if (!pendingAttachmentRoom(decodedSize)) return overBudget(shownName, decodedSize);
    bytes = Buffer.from(data, 'base64');
  } else if (data instanceof Uint8Array) {
    if (data.byteLength > MAX_ATTACHMENT_BYTES) return tooLarge(data.byteLength);
    if (!pendingAttachmentRoom(data.byteLength)) return overBudget(shownName, data.byteLength);
    // A copy: the caller may reuse its buffer before the bytes are sent.
    bytes = Uint8Array.prototype.slice.call(data);
  } else {
    return { problem: `${what}: data must be a Buffer, Uint8Array, Blob or base64 string`, drop: 'invalid' };
  }
  return {
    source: { kind: 'bytes', bytes },
    size: bytes.byteLength,
    cost: bytes.byteLength,
    filename: cleanFilename(filename),
    mimeType: givenType ?? sniffMimeType(bytes),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * Checks a list of attachments, puts each good one in the pending store, and describes them all
 * for the span. Never throws: what cannot be taken is described with `dropped` and explained in
 * `problems` (the exporter counts it; the caller logs the problems).
 */
export function recordAttachments(inputs: unknown): RecordedAttachments {
  const descriptors: AttachmentDescriptor[] = [];
  const problems: string[] = [];
  if (!Array.isArray(inputs)) {
    problems.push('attachments must be an array of { data } or { path }');
    return { descriptors: [{ filename: 'attachments', size: 0, dropped: 'invalid' }], problems };
  }
  inputs.forEach((input, index) => {
    const position = index + 1;
    if (index >= MAX_ATTACHMENTS_PER_RECORD) {
      if (index === MAX_ATTACHMENTS_PER_RECORD) {
        problems.push(`at most ${MAX_ATTACHMENTS_PER_RECORD} attachments per message; the rest were dropped`);
      }
      descriptors.push({ filename: generatedFilename(index, undefined), size: 0, dropped: 'over_limit' });
      return;
    }
    const result = normalise(input, position);
    if ('problem' in result) {
      problems.push(result.problem);
      const name = cleanFilename((input as Attachment | null)?.filename) ?? generatedFilename(index, undefined);
      descriptors.push({ filename: name, size: 0, dropped: result.drop });
      return;
    }
    const filename = result.filename ?? generatedFilename(index, result.mimeType);
    const descriptor: AttachmentDescriptor = { filename, size: result.size };
    if (result.mimeType !== undefined) descriptor.mime_type = result.mimeType;
    if (result.sha256 !== undefined) descriptor.sha256 = result.sha256;
    const id = holdAttachment(result.source, result.cost);
    if (id === undefined) {
      problems.push(`${filename} (${mebibytes(result.size)}) did not fit the pending-attachment budget`);
      descriptor.dropped = 'over_budget';
    } else {
      descriptor.id = id;
    }
    descriptors.push(descriptor);
  });
  return { descriptors, problems };
}
