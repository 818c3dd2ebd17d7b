import type { Type } from 'protobufjs';
import { loadProtobuf } from './protobuf';

/*
 * `google.rpc.Status` with a `google.rpc.RetryInfo` detail: how a gRPC server tells an OTLP
 * exporter when to retry (the Collector's exporter waits `retry_delay` after UNAVAILABLE, as its
 * HTTP exporter honours Retry-After). Field numbers from googleapis' status.proto,
 * error_details.proto, any.proto and duration.proto.
 */
let types: { readonly status: Type; readonly retryInfo: Type } | undefined;

function statusTypes(): { readonly status: Type; readonly retryInfo: Type } {
  if (types !== undefined) return types;
  const protobuf = loadProtobuf();
  const root = protobuf.parse(
    `syntax = "proto3";
     package google.protobuf;
     message Any { string type_url = 1; bytes value = 2; }
     message Duration { int64 seconds = 1; int32 nanos = 2; }`,
    { keepCase: true },
  ).root;
  protobuf.parse(
    `syntax = "proto3";
     package google.rpc;
     message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
     message RetryInfo { google.protobuf.Duration retry_delay = 1; }`,
    root,
    { keepCase: true },
  );
  types = { status: root.lookupType('google.rpc.Status'), retryInfo: root.lookupType('google.rpc.RetryInfo') };
  return types;
}

/** The `grpc-status-details-bin` value for status `code` that asks to retry after `seconds`. */
export function retryStatusDetails(code: number, message: string, seconds: number): Buffer {
  const { status: StatusType, retryInfo: RetryInfoType } = statusTypes();
  const retryInfo = RetryInfoType.encode(RetryInfoType.fromObject({ retry_delay: { seconds } })).finish();
  const status = StatusType.fromObject({
    code,
    message,
    details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retryInfo }],
  });
  return Buffer.from(StatusType.encode(status).finish());
}
