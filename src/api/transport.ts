import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { Pool } from 'undici';

/** An HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/**
 * A request that got no usable answer: `code` is the Node or undici error code, REQUEST_TIMEOUT,
 * or ANSWER_TOO_LARGE (an answer came, with `status`, but its body was over the limit and was not
 * read).
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
    /** The answer's status, when one came (ANSWER_TOO_LARGE). */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Sends requests to one base URL. Knows nothing of spans or AgentSight. A body is JSON unless the
 * headers give another `content-type` (a multipart upload).
 */
export interface Transport {
  post(
    path: string,
    body: string | Uint8Array,
    headers: Record<string, string>,
    timeoutMillis: number,
  ): Promise<HttpAnswer>;
  /** Any method; a body only when given, and then with its content type. */
  request(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string>,
    timeoutMillis: number,
  ): Promise<HttpAnswer>;
  /** Closes idle and open connections. */
  close(): Promise<void>;
}

/**
 * The context key OpenTelemetry's `suppressTracing()` sets, spelled out: it is the same string in
 * `@opentelemetry/core` 1.x, 2.x and 3.x (context keys are `Symbol.for(name)`), so the exporter
 * needs no particular SDK line at runtime to keep instrumentations off its own requests.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** One suppressed root context serves every request: building it per request is wasted work. */
const UNTRACED = ROOT_CONTEXT.setValue(SUPPRESS_TRACING_KEY, true);

/**
 * Longest answer read by default: delivery needs only error texts and ids. A longer one is not
 * read at all (the request fails with `ANSWER_TOO_LARGE`).
 */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Reads an answer's body as UTF-8 text, never more than `limit` bytes: a declared length over the
 * limit is refused before a byte is read, and a chunked (or lying) body is cut off as soon as it
 * passes the limit. Either way the connection is torn down (the rest is never read) and the
 * request fails with `ANSWER_TOO_LARGE`. Buffering a whole answer first crashed the host
 * process on a 2 GB chunked body (V8 string limit) and took 5 GB of memory on an endless one.
 */
async function readBounded(
  body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown; text(): Promise<string> },
  status: number,
  declaredLength: string | string[] | undefined,
  limit: number,
): Promise<string> {
  const declared = Number(Array.isArray(declaredLength) ? declaredLength[0] : (declaredLength ?? Number.NaN));
  const tooLarge = () =>
    new TransportError('ANSWER_TOO_LARGE', `${status} with a body over ${limit} bytes (not read)`, status);
  if (declared > limit) {
    body.destroy();
    throw tooLarge();
  }
  // A declared length within the limit bounds the body (HTTP/1.1 framing: undici reads exactly
  // that many bytes and fails on more), so the cheaper whole read is safe: the usual answer.
  if (Number.isSafeInteger(declared) && declared >= 0) return body.text();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function transportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const { code, cause, message } = (error ?? {}) as { code?: string; cause?: { code?: string }; message?: string };
  return new TransportError(code ?? cause?.code ?? 'ERROR', message ?? String(error));
}

/**
 * A keep-alive transport over an undici connection pool: measured here at about half the CPU of
 * node:http per request, which matters because delivery shares the event loop with the app.
 * Every request starts with tracing suppressed in a root context, whoever calls it (timers and
 * retries run outside the export's own suppressed context), so HTTP and undici instrumentations
 * never trace the exporter's own requests.
 */
export function createHttpTransport(
  base: URL,
  fixedHeaders: Readonly<Record<string, string>>,
  connections: number,
  maxAnswerBytes = MAX_ANSWER_BYTES,
): Transport {
  const pool = new Pool(base.origin, { connections, keepAliveTimeout: 10_000 });
  // API paths start with a slash; the base may or may not end with one.
  const basePath = base.pathname.replace(/\/+$/, '');

  const request = async (
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string>,
    timeoutMillis: number,
  ) => {
    // One deadline for the whole exchange (undici's own timeouts are per phase and coarse).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMillis);
    try {
      const answer = await pool.request({
        path: `${basePath}${path}`,
        method: method as 'POST',
        headers:
          body === undefined
            ? { ...fixedHeaders, ...headers }
            : { ...fixedHeaders, 'content-type': 'application/json', ...headers },
        body,
        signal: deadline.signal,
      });
      return {
        status: answer.statusCode,
        headers: answer.headers,
        text: await readBounded(answer.body, answer.statusCode, answer.headers['content-length'], maxAnswerBytes),
      };
    } catch (error) {
      if (deadline.signal.aborted) throw new TransportError('REQUEST_TIMEOUT', `no answer within ${timeoutMillis} ms`);
      throw transportError(error);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    post: (path, body, headers, timeoutMillis) =>
      context.with(UNTRACED, request, undefined, 'POST', path, body, headers, timeoutMillis),
    request: (method, path, body, headers, timeoutMillis) =>
      context.with(UNTRACED, request, undefined, method, path, body, headers, timeoutMillis),
    close: () => pool.destroy(),
  };
}
