import type { FinishedSpan } from '../common/sdk-shapes';
import type { GenAiHistory } from './genai/genai-history';
import type { GenAiRead } from './genai/genai-items';

/*
 * What the mapping is told beyond the spans, and the metadata keys of trace links.
 */

/** What the mapping needs to know beyond the spans. */
export interface MappingOptions {
  /** Environment of conversations whose spans do not name one. */
  readonly environment: string;
  /** Longest string sent in any one field; longer ones are cut with a marker. */
  readonly maxFieldLength: number;
  /**
   * Put the item's trace and span ids in its metadata ({@link TRACE_ID_METADATA_KEY},
   * {@link SPAN_ID_METADATA_KEY}), so AgentSight links each item to its trace. Default false here;
   * the exporter and the bridge turn it on unless told otherwise.
   */
  readonly traceLinks?: boolean;
  /**
   * Also map GenAI telemetry that no decorator made (spans of OpenAI, Vercel AI SDK, OpenInference
   * or OpenLLMetry instrumentations) into conversations. Default false here; the exporter and the
   * bridge turn it on unless told otherwise.
   */
  readonly genAi?: boolean;
  /** What GenAI items were already planned (the history repeats in every call); see `GenAiHistory`. */
  readonly genAiHistory?: GenAiHistory;
  /**
   * The application's mask over GenAI content the mapping reads (messages, tool arguments and
   * results): the decorators mask what they record, and this masks what other instrumentations
   * recorded. In process only (the exporter passes the one `configureAgentSight` set).
   */
  readonly genAiMask?: (text: string, field: 'message.content' | 'action.arguments' | 'action.response') => string;
  /** Attributes that name a conversation besides the known ones (`gen_ai.conversation.id`, …), read first. */
  readonly genAiConversationKeys?: readonly string[];
  /**
   * What GenAI spans gave, read ahead of the mapping (see `readGenAiItems`): the exporter reads
   * long histories in slices between turns of the event loop, and the mapping takes them from here.
   */
  readonly genAiReadAhead?: ReadonlyMap<FinishedSpan, GenAiRead | string>;
}

/** Metadata key of an item's trace id (32 hex), when trace links are on. */
export const TRACE_ID_METADATA_KEY = 'otel.trace_id';
/** Metadata key of the id of the span an item came from (16 hex), when trace links are on. */
export const SPAN_ID_METADATA_KEY = 'otel.span_id';
