import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import type { BridgeCore, ExportOutcome } from './bridge-core';
import { decodeLogsRequest } from './otlp-logs';
import { logsTypes, traceTypes } from './otlp-schema';
import { decodeTraceRequest, OtlpDecodeError } from './otlp-spans';

const log = diag.createComponentLogger({ namespace: 'agentsight-bridge' });

interface Answer {
  status: number;
  headers?: Record<string, string>;
  text?: string;
  /** An export's outcome, encoded in the request's own encoding, for its signal. */
  outcome?: ExportOutcome;
  json?: boolean;
  signal?: Signal;
}

/** What an OTLP request carries: the bridge reads traces, and the GenAI events among logs. */
type Signal = 'traces' | 'logs';

const PATHS: Readonly<Record<string, Signal>> = { '/v1/traces': 'traces', '/v1/logs': 'logs' };

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? 'too_large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function gunzipLimited(body: Buffer, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve('too_large');
      else reject(error);
    });
  });
}

/** A request that never reaches delivery: its body is drained so the answer reaches a healthy connection. */
function refuse(
  core: BridgeCore,
  request: IncomingMessage,
  status: number,
  text: string,
  headers?: Record<string, string>,
): Answer {
  request.resume();
  core.refused();
  return { status, text, ...(headers ? { headers } : {}) };
}

async function handle(core: BridgeCore, request: IncomingMessage, maxBodyBytes: number): Promise<Answer> {
  const url = new URL(request.url ?? '/', 'http://bridge');
  if (url.pathname === '/healthz' || url.pathname === '/health') {
    request.resume();
    const stats = core.stats();
    return {
      status: core.isClosing ? 503 : 200,
      text: JSON.stringify({
        status: core.isClosing ? 'shutting down' : 'ok',
        agentsight: stats.circuit === 'closed' ? 'available' : 'unavailable',
        queuedItems: stats.queuedItems,
        delivered: stats.delivered,
        // What its bounded memories forgot early: each can make a duplicate or a gap (README, Limits).
        forgotten: stats.forgotten,
      }),
    };
  }
  const signal = Object.hasOwn(PATHS, url.pathname) ? PATHS[url.pathname] : undefined;
  if (signal === undefined)
    return refuse(core, request, 404, 'Not found: the bridge takes POST /v1/traces and /v1/logs');
  if (request.method !== 'POST') return refuse(core, request, 405, 'POST only', { allow: 'POST' });
  if (!core.isAuthorized(request.headers.authorization, request.socket.remoteAddress ?? 'unknown')) {
    return refuse(core, request, 401, 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
  }
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  const json = type.startsWith('application/json');
  if (!json && !type.startsWith('application/x-protobuf')) {
    return refuse(core, request, 415, 'send application/x-protobuf or application/json');
  }
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return refuse(core, request, 415, `unsupported content-encoding "${encoding}" (gzip or none)`);
  }
  let body = await readBody(request, maxBodyBytes);
  if (body !== 'too_large' && encoding === 'gzip') {
    try {
      body = await gunzipLimited(body, maxBodyBytes);
    } catch (error) {
      core.refused();
      return { status: 400, text: `the body is not valid gzip: ${(error as Error).message}` };
    }
  }
  if (body === 'too_large') {
    core.refused();
    return { status: 413, text: `the body is over ${maxBodyBytes} bytes` };
  }
  let work: () => Promise<ExportOutcome>;
  try {
    if (signal === 'logs') {
      const logs = decodeLogsRequest(body, json);
      work = () => core.exportLogs(logs);
    } else {
      const traces = decodeTraceRequest(body, json);
      work = () => core.export(traces);
    }
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    core.refused();
    return { status: 400, text: error.message };
  }
  return { status: 200, outcome: await work(), json, signal };
}

/** The accepted answer of a signal, in protobuf or JSON: `partial_success` only when something was rejected. */
function acceptedBody(signal: Signal, json: boolean, rejected: number, message: string): Buffer | string {
  const count = signal === 'logs' ? 'rejected_log_records' : 'rejected_spans';
  if (json) {
    const camel = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedSpans';
    return JSON.stringify(rejected > 0 ? { partialSuccess: { [camel]: String(rejected), errorMessage: message } } : {});
  }
  const { response } = signal === 'logs' ? logsTypes() : traceTypes();
  const partial = rejected > 0 ? { partial_success: { [count]: rejected, error_message: message } } : {};
  return Buffer.from(response.encode(response.fromObject(partial)).finish());
}

function respond(response: ServerResponse, answer: Answer): void {
  const { outcome } = answer;
  if (outcome?.kind === 'retry') {
    response.writeHead(503, {
      'retry-after': String(outcome.afterSeconds),
      'content-type': 'text/plain; charset=utf-8',
    });
    response.end(`AgentSight is not taking data now (${outcome.why}); retry in ${outcome.afterSeconds} s`);
    return;
  }
  if (outcome?.kind === 'accepted') {
    const json = answer.json === true;
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    response.end(acceptedBody(answer.signal ?? 'traces', json, outcome.rejectedSpans, outcome.message));
    return;
  }
  const type = answer.text?.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8';
  response.writeHead(answer.status, { ...answer.headers, 'content-type': type });
  response.end(answer.text ?? '');
}

/** The OTLP/HTTP side: `POST /v1/traces` and `/v1/logs` (protobuf or JSON, gzip or not) and `GET /healthz`. */
export interface HttpReceiver {
  readonly server: Server;
  /** Stops taking connections and waits for the requests in progress to be answered. */
  drain(): Promise<void>;
}

/** Limits that keep the HTTP side standing under abuse (slow or many connections). */
export interface ConnectionLimits {
  /** Most open connections; more are closed at once. */
  readonly maxConnections: number;
  /** Time for a request's headers to arrive, in ms. */
  readonly headersTimeoutMillis: number;
  /** Time for a whole request (headers and body) to arrive, in ms. */
  readonly requestTimeoutMillis: number;
}

/** An HTTP server (not listening yet) over the bridge's core. */
export function createHttpReceiver(core: BridgeCore, maxBodyBytes: number, limits: ConnectionLimits): HttpReceiver {
  const inProgress = new Set<Promise<void>>();
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMillis,
      requestTimeout: limits.requestTimeoutMillis,
      // How often Node checks those timeouts (default 30 s, which left slow connections held).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMillis),
    },
    (request, response) => {
      const work = handle(core, request, maxBodyBytes)
        .then((answer) => respond(response, answer))
        .catch((error: unknown) => {
          log.error('bridge request failed', core.redact(String(error)));
          if (!response.headersSent) respond(response, { status: 500, text: 'bridge error' });
          else response.destroy();
        })
        .finally(() => inProgress.delete(work));
      inProgress.add(work);
    },
  );
  server.keepAliveTimeout = 30_000;
  server.maxConnections = limits.maxConnections;
  return {
    server,
    async drain() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inProgress]);
      server.closeAllConnections();
      await stopped;
    },
  };
}
