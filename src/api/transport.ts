import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { Pool } from 'undici';
import { BoundedAnswer } from './bounded-answer';
import { Deadlines } from './deadlines';
import type { HttpAnswer } from './transport-error';

export { type HttpAnswer, TransportError } from './transport-error';

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

  const deadlines = new Deadlines<BoundedAnswer>();

  // One deadline for the whole exchange (undici's own timeouts are per phase and coarse).
  const request = (
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string>,
    timeoutMillis: number,
  ) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const settled =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          deadlines.forget(answer);
          settle(value);
        };
      const answer = new BoundedAnswer(maxAnswerBytes, timeoutMillis, settled(resolve), settled(reject));
      deadlines.watch(answer, Date.now() + timeoutMillis);
      pool.dispatch(
        {
          path: `${basePath}${path}`,
          method: method as 'POST',
          headers:
            body === undefined
              ? { ...fixedHeaders, ...headers }
              : { ...fixedHeaders, 'content-type': 'application/json', ...headers },
          body,
        },
        answer,
      );
    });

  return {
    post: (path, body, headers, timeoutMillis) =>
      context.with(UNTRACED, request, undefined, 'POST', path, body, headers, timeoutMillis),
    request: (method, path, body, headers, timeoutMillis) =>
      context.with(UNTRACED, request, undefined, method, path, body, headers, timeoutMillis),
    close: () => pool.destroy(),
  };
}
