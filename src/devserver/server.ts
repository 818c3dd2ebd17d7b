import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, detail, readJsonBody } from './answers';
import { API_KEY_PATTERN } from './contract';
import { type Fault, FaultScript } from './faults';
import { FileSpool } from './file-spool';
import { manage } from './manage-routes';
import { MultipartError, readMultipart } from './multipart';
import type { DevServerOptions } from './options';
import { renderPage } from './page';
import { read } from './read-routes';
import type { ReceiverState } from './receiver-state';
import { DevStore } from './store';
import { track } from './tracking-routes';
import { uploadMultipart } from './upload-routes';

export type { DevServerOptions } from './options';

/** One request as the receiver saw it, accepted or not. */
export interface SeenRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path, without the query. */
  readonly path: string;
  /** Status answered; 0 when the connection was cut instead. */
  readonly status: number;
  /** The Idempotency-Key header, if any. */
  readonly idempotencyKey: string | undefined;
  /** True when the answer was replayed for a repeated Idempotency-Key. */
  readonly replayed: boolean;
  /** The fault applied to this request, if any. */
  readonly fault: Fault | undefined;
  /** The error body sent, for rejected requests. */
  readonly error: unknown;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

/** A running receiver. */
export interface DevServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`: the exporter's `endpoint`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** What was accepted. */
  readonly store: DevStore;
  /** Faults to apply to the next requests. */
  readonly faults: FaultScript;
  /** Every request seen, in arrival order. */
  readonly requests: readonly SeenRequest[];
  /** Answers every later request this long after it arrived (stored first); 0 for at once. */
  setLatency(ms: number): void;
  /**
   * While true, requests are taken in but never answered nor stored (a hung API); turning it off
   * cuts the held connections.
   */
  setHanging(hanging: boolean): void;
  /** Stops listening and cuts open connections: clients get connection refused. */
  stopListening(): Promise<void>;
  /** Listens again on the same port after {@link stopListening}. */
  listenAgain(): Promise<void>;
  /** Forgets stored data, faults and the request log (and latency, hanging). */
  reset(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the local AgentSight API receiver. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  if (options.apiKey !== undefined && !API_KEY_PATTERN.test(options.apiKey)) {
    throw new TypeError('startDevServer: apiKey must look like ags_<32 hex>_<6 hex>');
  }
  const store = new DevStore(options.out);
  const spool = new FileSpool();
  const jaegerUrl = options.jaegerUrl ?? process.env.AGENTSIGHT_JAEGER_URL ?? 'http://localhost:16686';
  const faults = new FaultScript();
  const requests: SeenRequest[] = [];
  const replies = new Map<string, Answer>();
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 * 1024;
  const state: ReceiverState = {
    store,
    spool,
    options,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    baseUrl: '',
  };
  let latencyMs = options.latencyMs ?? 0;
  let hanging = false;
  const held = new Set<IncomingMessage>();

  const authenticate = (request: IncomingMessage): Answer | undefined => {
    const header = request.headers.authorization;
    if (header === undefined) return detail(401, 'Authentication credentials were not provided.');
    const match = /^Api-Key (.+)$/.exec(header);
    const key = match?.[1];
    if (key === undefined || !API_KEY_PATTERN.test(key) || (options.apiKey !== undefined && key !== options.apiKey)) {
      return detail(401, 'Invalid API key.');
    }
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Concatenated, not resolved: a path like //api/x must stay a path, not become a host.
    const url = new URL(`http://localhost${request.url ?? '/'}`);
    const method = request.method ?? 'GET';
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const at = Date.now();
    let fault: Fault | undefined;
    let replayed = false;
    const answer = async (result: Answer): Promise<void> => {
      requests.push({
        method,
        path: url.pathname,
        status: result.status,
        idempotencyKey,
        replayed,
        fault,
        error: result.status >= 400 ? result.body : undefined,
        at,
      });
      const delay = (fault?.delayMs ?? 0) + (url.pathname.startsWith('/api/') ? latencyMs : 0);
      if (delay > 0) await sleep(delay);
      if (fault?.reset) {
        request.socket.destroy();
        return;
      }
      const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
      if (response.destroyed) return;
      response.writeHead(result.status, {
        'content-type': typeof result.body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
        ...result.headers,
      });
      response.end(text);
    };

    if (method === 'GET' && url.pathname === '/') {
      const page = renderPage(store, url.searchParams.get('conversation') ?? undefined, {
        jaegerUrl,
        search: url.searchParams.get('q') ?? undefined,
      });
      return answer({ status: 200, body: page });
    }
    const fileMatch = /^\/files\/(\d+)\/(\d+)$/.exec(url.pathname);
    if (method === 'GET' && fileMatch) {
      const file = store.file(Number(fileMatch[1]), Number(fileMatch[2]));
      if (!file) return answer(detail(404, 'Not found.'));
      requests.push({ method, path: url.pathname, status: 200, idempotencyKey, replayed, fault, error: undefined, at });
      // Served as an attachment unless it is an image the page shows: a dev page must not run
      // uploaded HTML or SVG in its own origin.
      const inline = /^image\/(png|jpeg|gif|webp|bmp)$/.test(file.mimeType);
      response.writeHead(200, {
        'content-type': inline ? file.mimeType : 'application/octet-stream',
        'content-disposition': inline ? 'inline' : 'attachment',
        'x-content-type-options': 'nosniff',
      });
      // Streamed from the spool: a large file is never read whole into memory to serve it.
      createReadStream(file.path)
        .on('error', () => response.destroy())
        .pipe(response);
      return;
    }
    if (!url.pathname.startsWith('/api/')) return answer(detail(404, 'Not found.'));
    if (hanging) {
      requests.push({ method, path: url.pathname, status: 0, idempotencyKey, replayed, fault, error: undefined, at });
      held.add(request);
      request.resume();
      return;
    }
    if (method === 'POST') fault = faults.take(url.pathname);
    if (fault?.status !== undefined) {
      request.resume();
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return answer({
        status: fault.status,
        body: fault.body ?? { detail: `Injected fault ${fault.status}.` },
        headers,
      });
    }
    if (fault?.reset && !fault.afterProcessing) {
      requests.push({ method, path: url.pathname, status: 0, idempotencyKey, replayed, fault, error: undefined, at });
      request.socket.destroy();
      return;
    }
    const denied = authenticate(request);
    if (denied) {
      request.resume();
      return answer(denied);
    }
    if (method === 'GET') return answer(read(state, url));
    const managed = /^\/api\/conversations\/(\d+)\/(rename|mark|update|delete)\/$/.exec(url.pathname);
    if (managed) return answer(await manage(state, request, method, Number(managed[1]), managed[2] as string));
    if (method !== 'POST') {
      request.resume();
      return answer(detail(405, `Method "${method}" not allowed.`));
    }

    const replyKey =
      idempotencyKey === undefined || options.ignoreIdempotencyKey === true
        ? undefined
        : `${url.pathname} ${idempotencyKey}`;
    const earlier = replyKey === undefined ? undefined : replies.get(replyKey);
    // The body is read whole first (the API reads before it answers), then a repeated key replays.
    let decide: () => Answer;
    if (
      url.pathname === '/api/attachments/' &&
      /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '')
    ) {
      let parts: Awaited<ReturnType<typeof readMultipart>>;
      try {
        parts = await readMultipart(request, maxUploadBytes, spool);
      } catch (error) {
        if (error instanceof MultipartError) return answer(detail(error.status, error.message));
        throw error;
      }
      decide = () => uploadMultipart(state, parts.fields, parts.files, idempotencyKey);
    } else {
      const body = await readJsonBody(request, state.maxBodyBytes);
      if ('status' in body) return answer(body);
      decide = () => track(state, url.pathname, body.json, idempotencyKey);
    }
    if (earlier) {
      replayed = true;
      return answer({ ...earlier, headers: { ...earlier.headers, 'idempotent-replayed': 'true' } });
    }
    const result = decide();
    if (replyKey !== undefined && result.status < 300) replies.set(replyKey, result);
    return answer(result);
  };

  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMillis ?? 10_000,
      requestTimeout: options.requestTimeoutMillis ?? 120_000,
      // How often Node checks those timeouts (default 30 s, which left slow connections held).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ detail: `Receiver error: ${String(error)}` }));
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  server.maxConnections = options.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cutHeld = () => {
    for (const request of held) request.socket.destroy();
    held.clear();
  };
  return {
    url: state.baseUrl,
    port,
    store,
    faults,
    requests,
    setLatency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`latency must be a non-negative number (got ${ms})`);
      latencyMs = ms;
    },
    setHanging(on: boolean) {
      hanging = on;
      if (!on) cutHeld();
    },
    stopListening: () =>
      new Promise<void>((resolve) => {
        cutHeld();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    listenAgain: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    reset() {
      store.clear();
      spool.clear();
      faults.clear();
      requests.length = 0;
      replies.clear();
      latencyMs = options.latencyMs ?? 0;
      hanging = false;
      cutHeld();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutHeld();
        spool.clear();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
