import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type busboy from 'busboy';
import type { FileSpool, SpooledFile } from './file-spool';

/** One file part of a multipart body, spooled to disk. */
export interface FilePart extends SpooledFile {
  /** The part's name (`attachment_0`, …). */
  readonly field: string;
  /** `filename=` of its Content-Disposition, as sent (UTF-8 names kept). */
  readonly filename: string;
  /** Its own Content-Type. */
  readonly mimeType: string;
}

/** A parsed multipart/form-data body: text parts in order, then files. */
export interface MultipartBody {
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>;
  readonly files: readonly FilePart[];
}

/** Why a multipart body could not be read: becomes a 400, 413 or 415. */
export class MultipartError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 507,
    message: string,
  ) {
    super(message);
  }
}

/** What to do when busboy is not installed, said by the CLI at start and by a 415 to an upload. */
export const BUSBOY_MISSING =
  'this receiver reads multipart uploads (files over 256 KiB) with busboy, which is not installed here: npm install busboy';

/**
 * Loads busboy, an optional peer dependency: only the receiver parses multipart bodies, so an
 * application that only exports spans does not install it. Undefined when it is not installed.
 */
export function loadBusboy(): typeof busboy | undefined {
  try {
    return createRequire(__filename)('busboy') as typeof busboy;
  } catch {
    return undefined;
  }
}

/** Most files, and most text fields, one upload may carry. */
const MAX_FILES = 50;
const MAX_FIELDS = 50;

/**
 * Reads a multipart/form-data request with busboy (a kept streaming parser; nothing hand-written
 * about boundaries or headers), spooling each file to disk as it arrives. The upload is taken
 * whole or not at all: a malformed body (400), a file over `maxFileBytes`, or more files or fields
 * than allowed (413) rejects with {@link MultipartError} and removes what was spooled (busboy
 * silently skips parts past its limits; keeping 50 of 60 files without a word was a bug). The
 * rest of the body is drained so the answer reaches a healthy connection.
 */
export function readMultipart(
  request: IncomingMessage,
  maxFileBytes: number,
  spool: FileSpool,
): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    const createParser = loadBusboy();
    if (createParser === undefined) {
      request.resume();
      reject(new MultipartError(415, BUSBOY_MISSING));
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = createParser({
        headers: request.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxFileBytes, fields: MAX_FIELDS, files: MAX_FILES, fieldSize: 1024 * 1024 },
      });
    } catch (error) {
      request.resume();
      reject(new MultipartError(400, `Multipart form parse error - ${(error as Error).message}`));
      return;
    }
    const fields: [string, string][] = [];
    const writes: Promise<FilePart | undefined>[] = [];
    let failure: MultipartError | undefined;
    const fail = (error: MultipartError) => {
      failure ??= error;
    };
    parser.on('field', (name, value) => fields.push([name, value]));
    parser.on('file', (field, stream, info) => {
      stream.on('limit', () => fail(new MultipartError(413, `File "${field}" is larger than ${maxFileBytes} bytes.`)));
      writes.push(
        spool.fromStream(stream).then(
          (file) => ({ ...file, field, filename: info.filename ?? '', mimeType: info.mimeType }),
          (error: NodeJS.ErrnoException) => {
            // The disk is full: answered at once (507), and the rest of the body is not written.
            if (error.code === 'ENOSPC' || error.code === 'EDQUOT') {
              fail(new MultipartError(507, `File "${field}" could not be stored: the receiver's disk is full.`));
              stream.resume();
              request.unpipe(parser);
              request.resume();
              settle();
            } else fail(new MultipartError(400, `File "${field}" could not be read - ${error.message}`));
            return undefined;
          },
        ),
      );
    });
    parser.on('filesLimit', () => fail(new MultipartError(413, `More than ${MAX_FILES} files in one upload.`)));
    parser.on('fieldsLimit', () => fail(new MultipartError(413, `More than ${MAX_FIELDS} fields in one upload.`)));
    parser.on('error', (error: Error) => {
      request.resume();
      fail(new MultipartError(400, `Multipart form parse error - ${error.message}`));
      settle();
    });
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      Promise.all(writes).then((parts) => {
        const files = parts.filter((part): part is FilePart => part !== undefined);
        if (failure === undefined) return resolve({ fields, files });
        for (const file of files) spool.discard(file);
        reject(failure);
      }, reject);
    };
    parser.on('close', settle);
    request.pipe(parser);
  });
}
