/**
 * The shapes of the OpenTelemetry SDK objects this library reads or implements, written out
 * structurally instead of imported: the SDK's packages differ between its lines
 * (`sdk-trace-base` in 1.x and 2.x, `sdk-trace` from 2.9 and alone in 3.x), and our published
 * types must not name a package an application does not have. Every line's objects fit them.
 */
import type {
  Attributes,
  Context,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatus,
  TraceState,
} from '@opentelemetry/api';

/** A finished span as the SDK hands it to processors and exporters (its `ReadableSpan`). */
export interface FinishedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  spanContext(): SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string; readonly time: HrTime; readonly attributes?: Attributes }[];
  /** The parent's span id: OTel JS 1.x (and the bridge's decoded spans). */
  readonly parentSpanId?: string;
  /** The parent's span context: OTel JS 2.x and later. */
  readonly parentSpanContext?: { readonly spanId: string };
}

/** A finished span's parent span id, on any SDK line; undefined for a root span. */
export function parentSpanIdOf(span: FinishedSpan): string | undefined {
  return span.parentSpanContext?.spanId ?? span.parentSpanId;
}

/** What an exporter reports for one export: `code` 0 is SUCCESS, 1 is FAILED (`ExportResult`). */
export interface ExportOutcome {
  code: number;
  error?: Error;
}

/** A sampler's decision (`SamplingResult`): 0 NOT_RECORD, 1 RECORD, 2 RECORD_AND_SAMPLED. */
export interface SamplingOutcome {
  readonly decision: number;
  readonly attributes?: Readonly<Attributes>;
  readonly traceState?: TraceState;
}

/** A sampler of any SDK line (its `Sampler` interface). */
export interface WrappableSampler {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingOutcome;
  toString(): string;
}
