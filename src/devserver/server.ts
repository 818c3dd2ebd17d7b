import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY_PATTERN } from './contract';
import { Exchange, type SeenRequest } from './exchange';
import type { FaultScript } from './faults';
import { FileSpool, removeStaleSpools } from './file-spool';
import type { DevServerOptions } from './options';
import type { ReceiverState } from './receiver-state';
import { RequestHandler } from './request-handler';
import { DevStore } from './store';

export type { SeenRequest } from './exchange';
export type { DevServerOptions } from './options';

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

/**
 * Starts the local AgentSight API receiver: listens, hands each request to the
 * request handler (`request-handler.ts`), and gives a test its switches (latency, hanging, faults, stop and listen
 * again).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  if (options.apiKey !== undefined && !API_KEY_PATTERN.test(options.apiKey)) {
    throw new TypeError('startDevServer: apiKey must look like ags_<32 hex>_<6 hex>');
  }
  // Spools of receivers that died without cleaning up (SIGKILL) go now: nothing else would.
  removeStaleSpools();
  const state: ReceiverState = {
    store: new DevStore(options.out),
    spool: new FileSpool(),
    options,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    baseUrl: '',
  };
  const jaegerUrl = options.jaegerUrl ?? process.env.AGENTSIGHT_JAEGER_URL ?? 'http://localhost:16686';
  const handler = new RequestHandler(state, jaegerUrl, options.maxUploadBytes ?? 64 * 1024 * 1024);
  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMillis ?? 10_000,
      requestTimeout: options.requestTimeoutMillis ?? 120_000,
      // How often Node checks those timeouts (default 30 s, which left slow connections held).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      handler.handle(new Exchange(request, response, handler.requests)).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ detail: `Receiver error: ${String(error)}` }));
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  server.maxConnections = options.maxConnections ?? 1024;
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      handler.cutHeld();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: state.baseUrl,
    port,
    store: state.store,
    faults: handler.faults,
    requests: handler.requests,
    setLatency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`latency must be a non-negative number (got ${ms})`);
      handler.latencyMs = ms;
    },
    setHanging: (on: boolean) => handler.setHanging(on),
    stopListening: stop,
    listenAgain: () => listen(server, port, host),
    reset() {
      state.store.clear();
      state.spool.clear();
      handler.reset();
    },
    close: () => {
      state.spool.clear();
      return stop();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
