import { credentials, Metadata, makeGenericClientConstructor, status } from '@grpc/grpc-js';

/** What one `TraceService/Export` call got: its status, and the answer or the error's details. */
export interface ExportAnswer {
  readonly code: number;
  readonly response?: Buffer;
  readonly details?: string;
  readonly trailer?: Metadata;
}

/** A plain gRPC client of the OTLP trace service (bytes in, bytes out), as any language's would be. */
export interface TraceServiceClient {
  /** One export, with `authorization: <scheme> <token>` unless the token is null. */
  call(body: Uint8Array, token: string | null, scheme?: string): Promise<ExportAnswer>;
  close(): void;
}

const identity = (bytes: Buffer) => bytes;

export function traceServiceClient(port: number): TraceServiceClient {
  const Client = makeGenericClientConstructor(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'TraceService',
  );
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    call: (body, token, scheme = 'Bearer') =>
      new Promise((resolve) => {
        const metadata = new Metadata();
        if (token !== null) metadata.set('authorization', `${scheme} ${token}`);
        (client as unknown as { Export: Function }).Export(
          Buffer.from(body),
          metadata,
          (error: { code: number; details: string; metadata: Metadata } | null, response?: Buffer) =>
            resolve(
              error
                ? { code: error.code, details: error.details, trailer: error.metadata }
                : { code: status.OK, response },
            ),
        );
      }),
    close: () => client.close(),
  };
}
