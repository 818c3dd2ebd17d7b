import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type { BridgeCore, ExportOutcome } from './bridge-core';
import { retryStatusDetails } from './grpc-status';
import { decodeLogsRequest } from './otlp-logs';
import { logsTypes, traceTypes } from './otlp-schema';
import { type DecodedTraces, decodeTraceRequest, OtlpDecodeError } from './otlp-spans';

/** How long a drain waits for calls in progress before the server is shut down hard. */
const DRAIN_MILLIS = 5_000;

/** The OTLP trace and logs services' one method each. */
const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/**
 * Loads @grpc/grpc-js, an optional peer dependency: only the bridge's gRPC port needs it, so a
 * library user does not carry it.
 */
function loadGrpc(): typeof Grpc {
  try {
    return createRequire(__filename)('@grpc/grpc-js') as typeof Grpc;
  } catch {
    throw new Error("the bridge's OTLP/gRPC port needs @grpc/grpc-js: npm install @grpc/grpc-js");
  }
}

/** The OTLP/gRPC side: `TraceService/Export` and `LogsService/Export` (gzip as gRPC negotiates it), bearer token in metadata. */
export interface GrpcReceiver {
  /** Binds and starts; resolves with the port (useful with 0). */
  listen(host: string, port: number): Promise<number>;
  /** Stops taking calls and waits for those in progress. */
  drain(): Promise<void>;
}

/** A gRPC server over the bridge's core. */
export function createGrpcReceiver(core: BridgeCore, maxBodyBytes: number): GrpcReceiver {
  const grpc = loadGrpc();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxBodyBytes });
  const identity = (value: Buffer) => value;
  const method = (path: string): Grpc.ServiceDefinition => ({
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  });
  /** One Export call of either service: checked, decoded, delivered, answered in the service's type. */
  const exportCall =
    (signal: 'traces' | 'logs') =>
    (call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>) => {
      const authorization = call.metadata.get('authorization')[0];
      if (!core.isAuthorized(typeof authorization === 'string' ? authorization : undefined, call.getPeer())) {
        core.refused();
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'a valid bearer token is required' });
        return;
      }
      let work: () => Promise<ExportOutcome>;
      try {
        const logs = signal === 'logs' ? decodeLogsRequest(call.request, false) : undefined;
        const traces = logs === undefined ? decodeTraceRequest(call.request, false) : undefined;
        work = () => (logs !== undefined ? core.exportLogs(logs) : core.export(traces as DecodedTraces));
      } catch (error) {
        core.refused();
        const details = error instanceof OtlpDecodeError ? error.message : 'unreadable request';
        callback({ code: grpc.status.INVALID_ARGUMENT, details });
        return;
      }
      work().then(
        (outcome) => {
          if (outcome.kind === 'retry') {
            const details = `AgentSight is not taking data now (${outcome.why}); retry in ${outcome.afterSeconds} s`;
            const metadata = new grpc.Metadata();
            metadata.set(
              'grpc-status-details-bin',
              retryStatusDetails(grpc.status.UNAVAILABLE, details, outcome.afterSeconds),
            );
            callback({ code: grpc.status.UNAVAILABLE, details, metadata });
            return;
          }
          const count = signal === 'logs' ? 'rejected_log_records' : 'rejected_spans';
          const partial =
            outcome.rejectedSpans > 0
              ? { partial_success: { [count]: outcome.rejectedSpans, error_message: outcome.message } }
              : {};
          const { response } = signal === 'logs' ? logsTypes() : traceTypes();
          callback(null, Buffer.from(response.encode(response.fromObject(partial)).finish()));
        },
        (error: unknown) => callback({ code: grpc.status.INTERNAL, details: core.redact(String(error)) }),
      );
    };
  server.addService(method(TRACE_EXPORT_PATH), { Export: exportCall('traces') as Grpc.UntypedHandleCall });
  server.addService(method(LOGS_EXPORT_PATH), { Export: exportCall('logs') as Grpc.UntypedHandleCall });
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      }),
    // Graceful first; a connection that never closes (measured: an idle HTTP/2 session of a
    // Collector that had gone) would otherwise hold close() forever.
    drain: () =>
      new Promise((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, DRAIN_MILLIS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
