import { type Attributes, type Context, createContextKey, type Link, type SpanKind } from '@opentelemetry/api';
import type { SamplingOutcome, WrappableSampler } from '../common/sdk-shapes';
import { ATTR_AGENTSIGHT_CONVERSATION_ID } from '../semconv/attributes';
import { AGENTSIGHT_CONTEXT_KEY_CONVERSATION } from '../semconv/values';
import { samplerFromEnvironment } from './environment-sampler';

// SamplingDecision's values, the same on every SDK line; importing the enum would tie this
// module to one SDK package at runtime.
const NOT_RECORD = 0;
const RECORD = 1;

export type { WrappableSampler } from '../common/sdk-shapes';

/** Written by the instrumentation side; read here by name (OTel context keys are `Symbol.for(name)`). */
const CONVERSATION_KEY = createContextKey(AGENTSIGHT_CONTEXT_KEY_CONVERSATION);

/**
 * A sampler for complete analytics under the application's own sampling: it wraps the
 * application's sampler and keeps its decisions, except that a span of a conversation, or any
 * span started inside one (tools, LLM calls, HTTP calls), is at least recorded where the wrapped
 * sampler would not record it. Recorded-but-unsampled spans reach `AgentSightSpanProcessor`,
 * while every other backend (which exports only sampled spans) keeps receiving exactly the
 * sampled share. Spans outside any conversation get the wrapped sampler's decision unchanged.
 *
 * A span belongs to a conversation when its parent context carries one (our decorators put it
 * there) or when its start attributes name one (`agentsight.conversation.id`).
 *
 * @example
 * ```ts
 * new NodeSDK({
 *   sampler: new AgentSightSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })),
 *   spanProcessors: [new AgentSightSpanProcessor(), new BatchSpanProcessor({ exporter: otlp })],
 * });
 * ```
 */
export class AgentSightSampler<Result extends SamplingOutcome = SamplingOutcome> {
  private readonly wrapped: WrappableSampler;

  /**
   * @param wrapped - the application's sampler; default: the one `OTEL_TRACES_SAMPLER` and
   *   `OTEL_TRACES_SAMPLER_ARG` describe, as NodeSDK would build it (`parentbased_always_on` when
   *   unset)
   * @throws TypeError when `wrapped` is not a sampler
   */
  constructor(wrapped?: {
    shouldSample(...args: Parameters<WrappableSampler['shouldSample']>): Result;
    toString(): string;
  }) {
    if (wrapped !== undefined && typeof (wrapped as { shouldSample?: unknown }).shouldSample !== 'function') {
      throw new TypeError('AgentSightSampler wraps a sampler: pass an object with shouldSample(), or nothing');
    }
    this.wrapped = wrapped ?? samplerFromEnvironment();
  }

  /** The wrapped sampler's decision, raised to RECORD for spans of a conversation. */
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): Result {
    const result = this.wrapped.shouldSample(context, traceId, spanName, spanKind, attributes, links) as Result;
    if (result.decision !== NOT_RECORD) return result;
    const inConversation =
      context.getValue(CONVERSATION_KEY) !== undefined || attributes?.[ATTR_AGENTSIGHT_CONVERSATION_ID] !== undefined;
    // The same result type with RECORD, the SDK enum's value 1 on every line.
    return inConversation ? ({ ...result, decision: RECORD } as Result) : result;
  }

  /** Names the wrapped sampler, as OTel's composite samplers do. */
  toString(): string {
    return `AgentSightSampler{${this.wrapped.toString()}}`;
  }
}
