import type { AddressInfo } from 'node:net';
import type { DeliveryStats } from '../delivery/delivery-stats';
import { BridgeCore, type BridgeCoreOptions, type BridgeRequestCounts } from './bridge-core';
import { createGrpcReceiver, type GrpcReceiver } from './grpc-receiver';
import { createHttpReceiver } from './http-receiver';
import { traceTypes } from './otlp-schema';

export type { BridgeRequestCounts } from './bridge-core';

/** How to run the bridge: the exporter's options (key, endpoint, delivery policy) and its own. */
export interface BridgeOptions extends BridgeCoreOptions {
  /** OTLP/HTTP port; default `AGENTSIGHT_BRIDGE_PORT`, else 4319; 0 picks a free one. */
  port?: number;
  /** Interface to bind (both protocols); default 127.0.0.1. In a container, `0.0.0.0`. */
  host?: string;
  /**
   * OTLP/gRPC port, for senders that speak only gRPC, such as the Collector's load-balancing
   * exporter; default `AGENTSIGHT_BRIDGE_GRPC_PORT`, else off. Needs `@grpc/grpc-js` installed.
   */
  grpcPort?: number;
  /** Largest request, after gzip is undone; larger ones are refused. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Most open OTLP/HTTP connections; more are closed at once. Default 256. */
  maxConnections?: number;
  /** Time for a request's headers to arrive, in ms. Default 10000. */
  headersTimeoutMillis?: number;
  /** Time for a whole request to arrive, body included, in ms. Default 60000. */
  requestTimeoutMillis?: number;
}

/** A running bridge. */
export interface Bridge {
  /** OTLP/HTTP base URL; the Collector's `otlp_http` exporter sends to `${url}/v1/traces`. */
  readonly url: string;
  /** The OTLP/HTTP port. */
  readonly port: number;
  /** The OTLP/gRPC port, when enabled. */
  readonly grpcPort: number | undefined;
  /** Delivery counters (as the exporter's `stats()`), and what the bridge answered. */
  stats(): DeliveryStats & {
    /** What the bridge answered, over both protocols. */
    requests: BridgeRequestCounts;
  };
  /**
   * Graceful shutdown: stops taking requests (health turns 503), answers those in progress (each
   * within `answerWithinMillis`), then closes.
   */
  close(): Promise<void>;
}

const DEFAULT_PORT = 4319;

function portFrom(value: number | undefined, variable: string, fallback: number | undefined): number | undefined {
  const chosen = value ?? (process.env[variable] === undefined ? fallback : Number(process.env[variable]));
  if (chosen !== undefined && !(Number.isInteger(chosen) && chosen >= 0 && chosen <= 65535)) {
    throw new RangeError(`${variable} must be a port number 0-65535 (got ${process.env[variable]})`);
  }
  return chosen;
}

/**
 * Starts the bridge: an OTLP receiver of traces and of the GenAI events among logs (HTTP
 * `POST /v1/traces` and `/v1/logs`, protobuf or JSON, gzip or not; and OTLP/gRPC when `grpcPort`
 * is set) that maps spans with the exporter's mapping and
 * delivers them with its delivery queue. It accepts a request only once its items are delivered
 * or rejected for good (rejections in `partial_success`); while AgentSight is unavailable it
 * answers HTTP 503 with `Retry-After` (gRPC UNAVAILABLE with RetryInfo) and gives the items back,
 * so the Collector's retries and persistent queue hold them. Apart from the cache of conversation
 * ids it keeps no state.
 */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  // protobufjs is an optional peer: a bridge without it fails here, at start, saying so.
  traceTypes();
  const core = new BridgeCore(options);
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const host = options.host ?? '127.0.0.1';
  const port = portFrom(options.port, 'AGENTSIGHT_BRIDGE_PORT', DEFAULT_PORT) as number;
  const wantedGrpcPort = portFrom(options.grpcPort, 'AGENTSIGHT_BRIDGE_GRPC_PORT', undefined);

  const http = createHttpReceiver(core, maxBodyBytes, {
    maxConnections: options.maxConnections ?? 256,
    headersTimeoutMillis: options.headersTimeoutMillis ?? 10_000,
    requestTimeoutMillis: options.requestTimeoutMillis ?? 60_000,
  });
  let grpc: GrpcReceiver | undefined;
  let grpcPort: number | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(port, host, () => resolve());
    });
    if (wantedGrpcPort !== undefined) {
      grpc = createGrpcReceiver(core, maxBodyBytes);
      grpcPort = await grpc.listen(host, wantedGrpcPort);
    }
  } catch (error) {
    http.server.close();
    await core.close();
    throw error;
  }
  const bound = (http.server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    grpcPort,
    stats: () => ({ ...core.stats(), requests: { ...core.requests } }),
    close() {
      closed ??= (async () => {
        core.beginClosing();
        await Promise.all([http.drain(), grpc?.drain()]);
        await core.close();
      })();
      return closed;
    },
  };
}
