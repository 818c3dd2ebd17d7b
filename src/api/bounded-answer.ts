import type { Dispatcher } from 'undici';
import { type HttpAnswer, TransportError } from './transport-error';

/**
 * Reads one answer straight from undici's dispatch callbacks, never more than `limit` bytes of
 * body: a declared length over the limit is refused before a byte is read, and a chunked (or
 * lying) body is cut off as soon as it passes the limit; either way the connection is torn down
 * and the request fails with `ANSWER_TOO_LARGE`. Buffering a whole answer first crashed the host
 * process on a 2 GB chunked body (V8 string limit) and took 5 GB of memory on an endless one.
 *
 * Why callbacks and not `pool.request()`: that builds a readable stream and its promise machinery
 * per answer, which was a large share of delivery's CPU per request (issue 22); an answer here is
 * a few hundred bytes of JSON, collected in a list of chunks.
 *
 * Settles exactly once: with the answer, with the transport's error, or at {@link expire}.
 */
export class BoundedAnswer implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  /** @param timeoutMillis - the deadline it is watched by, named in the error of {@link expire} */
  constructor(
    private readonly limit: number,
    private readonly timeoutMillis: number,
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (error: TransportError) => void,
  ) {}

  /** The deadline passed: fails now with `REQUEST_TIMEOUT`, and cuts the request wherever it is. */
  expire(): void {
    const error = new TransportError('REQUEST_TIMEOUT', `no answer within ${this.timeoutMillis} ms`);
    this.fail(error);
    this.controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Expired while it waited for a connection: it never goes out.
    if (this.settled)
      controller.abort(new TransportError('REQUEST_TIMEOUT', `no answer within ${this.timeoutMillis} ms`));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // an informational answer: the real one follows
    this.status = statusCode;
    this.headers = headers;
    const length = headers['content-length'];
    const declared = Number(Array.isArray(length) ? length[0] : (length ?? Number.NaN));
    if (declared > this.limit) this.tooLarge(controller);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) this.tooLarge(controller);
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const text =
      this.chunks.length === 1
        ? (this.chunks[0] as Buffer).toString('utf8')
        : Buffer.concat(this.chunks, this.size).toString('utf8');
    this.chunks = [];
    this.resolve({ status: this.status, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(transportError(error));
  }

  private tooLarge(controller: Dispatcher.DispatchController): void {
    const error = new TransportError(
      'ANSWER_TOO_LARGE',
      `${this.status} with a body over ${this.limit} bytes (not read)`,
      this.status,
    );
    this.fail(error);
    controller.abort(error);
  }

  private fail(error: TransportError): void {
    if (this.settled) return;
    this.settled = true;
    this.chunks = [];
    this.reject(error);
  }
}

/** A Node or undici failure as a {@link TransportError} with its code. */
function transportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const { code, cause, message } = (error ?? {}) as { code?: string; cause?: { code?: string }; message?: string };
  return new TransportError(code ?? cause?.code ?? 'ERROR', message ?? String(error));
}
