import type { Attributes } from '@opentelemetry/api';
import type { FinishedSpan } from '../common/sdk-shapes';

/*
 * GenAI events (log records) waiting for the LLM call span they belong to. Some instrumentations
 * send the messages only as events: the JS OpenAI instrumentation writes one log record per
 * message (`gen_ai.user.message`, `gen_ai.choice`, …) inside the call's span, and nothing of the
 * content on the span. `AgentSightLogRecordProcessor` keeps them here by span id;
 * `AgentSightSpanProcessor` takes them when that span ends and reads them as the span's messages.
 *
 * Bounded: at most {@link MAX_SPANS} spans' events (the oldest go first), {@link MAX_EVENTS} events
 * and {@link MAX_CHARS} characters a span; what waits longer than {@link MAX_AGE_MILLIS} is
 * forgotten (its span was not ours, or ended without our span processor).
 */

const MAX_SPANS = 10_000;
const MAX_EVENTS = 2_000;
const MAX_CHARS = 8 * 1024 * 1024;
const MAX_AGE_MILLIS = 5 * 60_000;

/** One span's messages, as events gave them, in the JSON shapes `mapping/genai/messages.ts` reads. */
interface PendingMessages {
  readonly input: unknown[];
  readonly output: unknown[];
  chars: number;
  readonly since: number;
}

const pending = new Map<string, PendingMessages>();

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The message an event describes, and whether it is the call's output, or undefined. */
function messageOfEvent(name: string, body: unknown): { message: Loose; output: boolean } | undefined {
  const b = isObject(body) ? body : typeof body === 'string' ? { content: body } : {};
  switch (name) {
    case 'gen_ai.system.message':
      return { message: { role: 'system', content: b.content }, output: false };
    case 'gen_ai.user.message':
      return { message: { role: 'user', content: b.content }, output: false };
    case 'gen_ai.assistant.message':
      return { message: { role: 'assistant', content: b.content, tool_calls: b.tool_calls }, output: false };
    case 'gen_ai.tool.message':
      return { message: { role: 'tool', tool_call_id: b.id, content: b.content }, output: false };
    case 'gen_ai.choice': {
      const m = isObject(b.message) ? b.message : {};
      return {
        message: { role: 'assistant', content: m.content, tool_calls: m.tool_calls, finish_reason: b.finish_reason },
        output: true,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Keeps a GenAI event for its span: the per-message events of the older conventions, or one
 * `gen_ai.client.inference.operation.details` event with the whole input and output. Other log
 * records are not ours and are left alone.
 */
export function keepGenAiEvent(
  spanId: string,
  name: string,
  body: unknown,
  attributes: Readonly<Record<string, unknown>>,
): void {
  const details = name === 'gen_ai.client.inference.operation.details';
  const one = details ? undefined : messageOfEvent(name, body);
  if (!details && one === undefined) return;
  let entry = pending.get(spanId);
  if (entry === undefined) {
    prune();
    entry = { input: [], output: [], chars: 0, since: Date.now() };
    pending.set(spanId, entry);
  }
  if (entry.input.length + entry.output.length >= MAX_EVENTS) return;
  if (one !== undefined) {
    entry.chars += JSON.stringify(one.message).length;
    if (entry.chars > MAX_CHARS) return;
    (one.output ? entry.output : entry.input).push(one.message);
    return;
  }
  for (const [key, into] of [
    ['gen_ai.input.messages', entry.input],
    ['gen_ai.output.messages', entry.output],
  ] as const) {
    const value = attributes[key] ?? (isObject(body) ? body[key] : undefined);
    const list = typeof value === 'string' ? safeParse(value) : value;
    if (!Array.isArray(list)) continue;
    entry.chars += typeof value === 'string' ? value.length : JSON.stringify(list).length;
    if (entry.chars <= MAX_CHARS) into.push(...list);
  }
}

function safeParse(text: string): unknown {
  if (text.length > MAX_CHARS) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function prune(): void {
  const oldest = Date.now() - MAX_AGE_MILLIS;
  for (const [spanId, entry] of pending) {
    if (entry.since >= oldest && pending.size < MAX_SPANS) break;
    pending.delete(spanId);
  }
}

/**
 * The span with the messages its events carried as `gen_ai.input.messages` /
 * `gen_ai.output.messages` (what it states itself wins), or the span itself when no event waits.
 * The events are taken: each is read once.
 */
export function withGenAiEvents(span: FinishedSpan): FinishedSpan {
  if (pending.size === 0) return span;
  const spanId = span.spanContext().spanId;
  const entry = pending.get(spanId);
  if (entry === undefined) return span;
  pending.delete(spanId);
  const attributes: Attributes = { ...span.attributes };
  if (attributes['gen_ai.input.messages'] === undefined && entry.input.length > 0)
    attributes['gen_ai.input.messages'] = JSON.stringify(entry.input);
  if (attributes['gen_ai.output.messages'] === undefined && entry.output.length > 0)
    attributes['gen_ai.output.messages'] = JSON.stringify(entry.output);
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes,
    events: span.events,
    ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
    ...(span.parentSpanContext === undefined ? {} : { parentSpanContext: span.parentSpanContext }),
  };
}
