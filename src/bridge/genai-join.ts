import type { FinishedSpan } from '../common/sdk-shapes';
import { GenAiEvents, withEventMessages } from '../mapping/genai/genai-events';
import { hasGenAiContent } from '../mapping/genai/genai-keys';
import { genAiConversationsOf } from '../mapping/mapping';
import { ATTR_GEN_AI_CONVERSATION_ID } from '../semconv/attributes';
import type { GenAiEventRecord } from './otlp-logs';

/** Longest attribute value a remembered span keeps. */
const MAX_KEPT_VALUE = 1_024;
/** Most characters of attribute values a remembered span keeps in all (10,000 of them: ~80 MB at most). */
const MAX_KEPT_CHARS = 4_096;

/** Token counts: a span read again with its late messages must not count them twice. */
const USAGE_KEY = /^(gen_ai\.usage\.|llm\.token_count\.|llm\.usage\.|agentsight\.usage\.)/;

/**
 * Joins, in the bridge, the LLM call spans of zero-code conversations and the GenAI events (OTLP
 * logs) that carry their messages. A Collector sends traces and logs in separate requests, in no
 * set order, so both orders are met: events that come first wait for their span
 * ({@link GenAiEvents}); a span that comes first is mapped at once (its tokens, its tools) and
 * remembered, and when its events come it is read again with them, as a span that names its
 * conversation and carries no token counts. Items keep their keys whichever way they came (see
 * `GenAiHistory`), so a message read both ways is one.
 *
 * Bounded: `maxSpans` spans remembered for `maxAgeMillis` (the oldest go first), each without
 * content, token counts or any value over 1 KiB; and the events' own bounds.
 */
export class GenAiJoin {
  private readonly events = new GenAiEvents();
  private readonly remembered = new Map<string, { readonly span: FinishedSpan; readonly since: number }>();

  constructor(
    private readonly conversationKeys: readonly string[],
    private readonly maxSpans = 10_000,
    private readonly maxAgeMillis = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A traces request's spans, with the messages of events that came before them. */
  spans(spans: readonly FinishedSpan[]): FinishedSpan[] {
    let conversations: (string | undefined)[];
    try {
      conversations = genAiConversationsOf(spans, { genAiConversationKeys: this.conversationKeys });
    } catch {
      return [...spans]; // unreadable spans are the mapping's to report
    }
    return spans.map((span, index) => {
      const conversationId = conversations[index];
      if (conversationId === undefined) return span;
      const spanId = span.spanContext().spanId;
      // Only a call without messages of its own can get them from events (and it is small to keep).
      if (!hasGenAiContent(span.attributes)) this.remember(spanId, span, conversationId);
      const messages = this.events.take(spanId);
      return messages === undefined ? span : withEventMessages(span, messages);
    });
  }

  /** Spans whose waiting events were forgotten for room before their span came (each a call's messages lost). */
  get evictedEvents(): number {
    return this.events.evicted;
  }

  /** A logs request's GenAI events: kept for their spans; the spans already read come again with them. */
  lateSpans(records: readonly GenAiEventRecord[]): FinishedSpan[] {
    for (const record of records) this.events.keep(record.spanId, record.name, record.body, record.attributes);
    const late: FinishedSpan[] = [];
    for (const spanId of new Set(records.map((record) => record.spanId))) {
      const remembered = this.remembered.get(spanId);
      if (remembered === undefined) continue;
      const messages = this.events.take(spanId);
      if (messages !== undefined) late.push(withEventMessages(remembered.span, messages));
    }
    return late;
  }

  /** Keeps the span, named and without its counts, for events that may come after it. */
  private remember(spanId: string, span: FinishedSpan, conversationId: string): void {
    const oldest = this.clock() - this.maxAgeMillis;
    for (const [id, entry] of this.remembered) {
      if (entry.since >= oldest && this.remembered.size < this.maxSpans) break;
      this.remembered.delete(id);
    }
    const named = withEventMessages(span, { input: [], output: [] }, { [ATTR_GEN_AI_CONVERSATION_ID]: conversationId });
    // Kept small: what a call span needs to be read again is short (its conversation, model,
    // operation); a long value of another attribute, its span events (issue 30: 1 MB of them
    // per span held 1.56 GB for 1,200 spans) and its links are not kept for 5 minutes.
    let kept = 0;
    for (const [key, value] of Object.entries(named.attributes)) {
      const chars = typeof value === 'string' ? value.length : 16;
      const drop = USAGE_KEY.test(key) || chars > MAX_KEPT_VALUE || Array.isArray(value);
      if (drop || kept + key.length + chars > MAX_KEPT_CHARS) {
        if (key !== ATTR_GEN_AI_CONVERSATION_ID) delete (named.attributes as Record<string, unknown>)[key];
      } else kept += key.length + chars;
    }
    this.remembered.set(spanId, { span: { ...named, events: [] }, since: this.clock() });
  }
}
