import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';

/** One file part of a multipart body. */
export interface FilePart {
  /** The part's name (`attachment_0`, …). */
  readonly field: string;
  /** `filename=` of its Content-Disposition, as sent (UTF-8 names kept). */
  readonly filename: string;
  /** Its own Content-Type. */
  readonly mimeType: string;
  readonly bytes: Buffer;
}

/** A parsed multipart/form-data body: text parts in order, then files. */
export interface MultipartBody {
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>;
  readonly files: readonly FilePart[];
}

/** Why a multipart body could not be read: becomes a 400 or 413. */
export class MultipartError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a multipart/form-data request with busboy (a kept streaming parser; nothing hand-written
 * about boundaries or headers). Rejects with {@link MultipartError} when the body is malformed or
 * any part is over `maxFileBytes`; the rest of the body is drained so the answer reaches a healthy
 * connection.
 */
export function readMultipart(request: IncomingMessage, maxFileBytes: number): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxFileBytes, fields: 50, files: 50, fieldSize: 1024 * 1024 },
      });
    } catch (error) {
      request.resume();
      reject(new MultipartError(400, `Multipart form parse error - ${(error as Error).message}`));
      return;
    }
    const fields: [string, string][] = [];
    const files: FilePart[] = [];
    let failure: MultipartError | undefined;
    parser.on('field', (name, value) => fields.push([name, value]));
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failure ??= new MultipartError(413, `File "${field}" is larger than ${maxFileBytes} bytes.`);
      });
      stream.on('close', () => {
        files.push({
          field,
          filename: info.filename ?? '',
          mimeType: info.mimeType,
          bytes: Buffer.concat(chunks),
        });
      });
    });
    parser.on('error', (error: Error) => {
      request.resume();
      reject(new MultipartError(400, `Multipart form parse error - ${error.message}`));
    });
    parser.on('close', () => (failure ? reject(failure) : resolve({ fields, files })));
    request.pipe(parser);
  });
}
