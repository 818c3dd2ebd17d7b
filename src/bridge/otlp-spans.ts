import type { SpanContext } from '@opentelemetry/api';
import type { FinishedSpan } from '../common/sdk-shapes';
import { traceTypes } from './otlp-schema';
import {
  attributes,
  decodeOtlpBody,
  field,
  hexId,
  hrTime,
  type Loose,
  list,
  OtlpDecodeError,
  PoisonValue,
} from './otlp-values';

export { MAX_VALUE_DEPTH, OtlpDecodeError } from './otlp-values';

/** OTLP span kind (1 internal … 5 consumer, 0 unspecified) as the API's (0 internal … 4 consumer). */
function spanKind(value: unknown): number {
  const kind = Number(value ?? 0);
  return kind >= 1 && kind <= 5 ? kind - 1 : 0;
}

function toFinishedSpan(span: Loose): FinishedSpan {
  const context: SpanContext = {
    traceId: hexId(field(span, 'trace_id', 'traceId')),
    spanId: hexId(field(span, 'span_id', 'spanId')),
    traceFlags: Number(span.flags ?? 1) & 0xff,
  };
  const status = (span.status ?? {}) as Loose;
  const parentSpanId = hexId(field(span, 'parent_span_id', 'parentSpanId'));
  return {
    ...(parentSpanId === '' ? {} : { parentSpanId }),
    name: String(span.name ?? ''),
    kind: spanKind(span.kind),
    spanContext: () => context,
    startTime: hrTime(field(span, 'start_time_unix_nano', 'startTimeUnixNano')),
    endTime: hrTime(field(span, 'end_time_unix_nano', 'endTimeUnixNano')),
    status: { code: Number(status.code ?? 0), ...(status.message ? { message: String(status.message) } : {}) },
    attributes: attributes(span.attributes),
    events: list(span.events).map((event) => ({
      name: String(event.name ?? ''),
      time: hrTime(field(event, 'time_unix_nano', 'timeUnixNano')),
      attributes: attributes(event.attributes),
    })),
  };
}

/** A span of a request that could not be read, dropped alone. */
export interface UnreadableSpan {
  readonly spanName: string;
  readonly reason: string;
}

/** The spans of one request: those read, in order, and those that could not be. */
export interface DecodedTraces {
  readonly spans: FinishedSpan[];
  readonly unreadable: UnreadableSpan[];
}

/** Every span of an export request, in the order it lists them (the order they ended). */
function spansOf(request: Loose): DecodedTraces {
  const spans: FinishedSpan[] = [];
  const unreadable: UnreadableSpan[] = [];
  for (const resourceSpans of list(field(request, 'resource_spans', 'resourceSpans'))) {
    for (const scopeSpans of list(field(resourceSpans, 'scope_spans', 'scopeSpans'))) {
      for (const span of list(scopeSpans.spans)) {
        if (typeof span !== 'object' || span === null || Array.isArray(span)) {
          throw new OtlpDecodeError('the body is not an OTLP traces request: a span is not an object');
        }
        try {
          spans.push(toFinishedSpan(span));
        } catch (error) {
          if (!(error instanceof PoisonValue)) throw error;
          unreadable.push({ spanName: String(span?.name ?? '').slice(0, 200), reason: error.message });
        }
      }
    }
  }
  return { spans, unreadable };
}

/** Reads an OTLP/HTTP traces body (`application/x-protobuf` or `application/json`). */
export function decodeTraceRequest(body: Buffer, json: boolean): DecodedTraces {
  return decodeOtlpBody(body, json, 'traces', () => traceTypes().request, spansOf);
}
