import type { Type } from 'protobufjs';
import { loadProtobuf } from './protobuf';

/*
 * The OTLP trace and logs messages the bridge reads and answers, as protobuf definitions for protobufjs.
 * The field numbers are the wire format of opentelemetry-proto v1 (trace/v1/trace.proto, logs/v1/logs.proto,
 * common/v1/common.proto, resource/v1/resource.proto, collector/trace/v1/trace_service.proto);
 * only what the bridge needs is declared (unknown fields are skipped by any protobuf decoder).
 * Written here because no kept package ships them any more: @opentelemetry/otlp-transformer
 * encodes by hand since 0.200 and has no request decoder.
 */
const OTLP_PROTO = `
syntax = "proto3";
package otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Resource { repeated KeyValue attributes = 1; }

message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
  Status status = 15;
  fixed32 flags = 16;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }

message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
`;

let types: { readonly request: Type; readonly response: Type } | undefined;
let logTypes: { readonly request: Type; readonly response: Type } | undefined;

/**
 * `ExportTraceServiceRequest` (what `POST /v1/traces` carries) and `ExportTraceServiceResponse`
 * (what it answers), parsed on first use: protobufjs is loaded only where the bridge runs.
 */
export function traceTypes(): { readonly request: Type; readonly response: Type } {
  types ??= typesOf('Trace');
  return types;
}

/** `ExportLogsServiceRequest` (what `POST /v1/logs` carries) and its response, parsed on first use. */
export function logsTypes(): { readonly request: Type; readonly response: Type } {
  logTypes ??= typesOf('Logs');
  return logTypes;
}

function typesOf(signal: 'Trace' | 'Logs'): { readonly request: Type; readonly response: Type } {
  const root = loadProtobuf().parse(OTLP_PROTO, { keepCase: true }).root;
  return {
    request: root.lookupType(`otlp.Export${signal}ServiceRequest`),
    response: root.lookupType(`otlp.Export${signal}ServiceResponse`),
  };
}
