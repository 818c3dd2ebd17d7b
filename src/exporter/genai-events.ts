import { processWide } from '../common/process-wide';
import type { FinishedSpan } from '../common/sdk-shapes';
import { GenAiEvents, withEventMessages } from '../mapping/genai/genai-events';

/*
 * The process's GenAI events waiting for their spans: `AgentSightLogRecordProcessor` keeps them
 * here, `AgentSightSpanProcessor` takes them when the call's span ends (the events are emitted
 * inside the span, before it ends). One store per process, whatever number of copies of the
 * package are loaded (the log processor and the span processor may come from two), bounded as
 * `GenAiEvents` says.
 */
const store = processWide('genai.events', () => new GenAiEvents());

/** Keeps a GenAI event for its span. */
export function keepGenAiEvent(
  spanId: string,
  name: string,
  body: unknown,
  attributes: Readonly<Record<string, unknown>>,
): void {
  store.keep(spanId, name, body, attributes);
}

/** The span with the messages its events carried, or the span itself when none wait. */
export function withGenAiEvents(span: FinishedSpan): FinishedSpan {
  if (store.size === 0) return span;
  const messages = store.take(span.spanContext().spanId);
  return messages === undefined ? span : withEventMessages(span, messages);
}

/** Spans whose waiting events the process's store forgot for room (their calls' messages are lost). */
export function evictedGenAiEvents(): number {
  return store.evicted;
}
