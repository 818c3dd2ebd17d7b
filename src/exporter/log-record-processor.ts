import type { SpanContext } from '@opentelemetry/api';
import { isGenAiEventName } from '../mapping/genai/genai-events';
import { keepGenAiEvent } from './genai-events';

/** What this processor reads of a log record, on any `@opentelemetry/sdk-logs` line. */
export interface GenAiLogRecord {
  /** The event's name (newer SDKs); older instrumentations put it in the `event.name` attribute. */
  readonly eventName?: string;
  /** The record's attributes. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** The record's body: the message, for GenAI events. */
  readonly body?: unknown;
  /** The span it was emitted in: the LLM call it belongs to. */
  readonly spanContext?: SpanContext;
}

/**
 * Zero code for instrumentations that send an LLM call's messages only as events (log records):
 * the JS OpenAI instrumentation (`@opentelemetry/instrumentation-openai`) writes each message as
 * a `gen_ai.*` event inside the call's span and none on the span. Add it to the logs side of your
 * OpenTelemetry set-up next to `AgentSightSpanProcessor` on the traces side; the span processor
 * reads the events of each call when its span ends. It exports nothing itself and leaves every
 * other log record to your other processors.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({
 *   spanProcessors: [new AgentSightSpanProcessor()],
 *   logRecordProcessors: [new AgentSightLogRecordProcessor()],
 *   instrumentations: [new OpenAIInstrumentation()], // OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
 * });
 * ```
 */
export class AgentSightLogRecordProcessor {
  /** Keeps a GenAI event (by `eventName`, or the older `event.name` attribute) for its span. */
  onEmit(logRecord: GenAiLogRecord): void {
    try {
      const spanId = logRecord.spanContext?.spanId;
      const name = logRecord.eventName ?? logRecord.attributes?.['event.name'];
      if (spanId === undefined || !isGenAiEventName(name)) return;
      keepGenAiEvent(spanId, name, logRecord.body, logRecord.attributes ?? {});
    } catch {
      // A log record we cannot read is not ours to fail on: telemetry never breaks the app.
    }
  }

  /** Nothing is buffered for export here: resolves at once. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves at once. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
