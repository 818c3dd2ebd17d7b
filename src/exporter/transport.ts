import * as http from 'node:http';
import * as https from 'node:https';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/** An HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** A request that got no answer: `code` is the Node error code, or REQUEST_TIMEOUT. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Sends JSON POSTs to one base URL. Knows nothing of spans or AgentSight. */
export interface Transport {
  post(path: string, body: string, headers: Record<string, string>, timeoutMillis: number): Promise<HttpAnswer>;
  /** Closes idle and open connections. */
  close(): void;
}

/** One suppressed root context serves every request: building it per request is wasted work. */
const UNTRACED = suppressTracing(ROOT_CONTEXT);

/** Answers longer than this are cut: only error texts and ids are read from them. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A keep-alive transport over node:http(s). Every request runs with tracing suppressed in a root
 * context, whoever calls it (timers and retries run outside the export's own suppressed context),
 * so HTTP and undici instrumentations never trace the exporter's own requests.
 */
export function createHttpTransport(
  base: URL,
  fixedHeaders: Readonly<Record<string, string>>,
  maxSockets: number,
): Transport {
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  // API paths start with a slash; the base may or may not end with one.
  const basePath = base.pathname.replace(/\/+$/, '');

  const post = (path: string, body: string, headers: Record<string, string>, timeoutMillis: number) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const request = client.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path: `${basePath}${path}`,
          method: 'POST',
          agent,
          headers: {
            ...fixedHeaders,
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          response.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
          response.on('error', (error: NodeJS.ErrnoException) => fail(error));
        },
      );
      const fail = (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error instanceof TransportError ? error : new TransportError(error.code ?? 'ERROR', error.message));
      };
      const timer = setTimeout(
        () => request.destroy(new TransportError('REQUEST_TIMEOUT', `no answer within ${timeoutMillis} ms`)),
        timeoutMillis,
      );
      request.on('error', fail);
      request.end(body);
    });

  return {
    post: (path, body, headers, timeoutMillis) =>
      context.with(UNTRACED, post, undefined, path, body, headers, timeoutMillis),
    close: () => agent.destroy(),
  };
}
