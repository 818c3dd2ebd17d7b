import type { Attributes } from '@opentelemetry/api';
import type { FinishedSpan } from '../../common/sdk-shapes';

/*
 * GenAI events (log records) waiting for the LLM call span they belong to, and the span read with
 * them. Some instrumentations send the messages only as events: the JS OpenAI instrumentation
 * writes one log record per message (`gen_ai.user.message`, `gen_ai.choice`, …) inside the call's
 * span and no content on the span. Pure: the clock comes in; the exporter (in process) and the
 * bridge (from OTLP logs) each own a store.
 */

/** The messages an LLM call's events gave, in the JSON shapes `messages.ts` reads. */
export interface EventMessages {
  readonly input: unknown[];
  readonly output: unknown[];
}

interface Pending {
  /** The call's input messages, each with its size: the oldest go first when the span is over its bound. */
  readonly input: { readonly message: unknown; readonly chars: number }[];
  readonly output: unknown[];
  chars: number;
  readonly since: number;
}

/** How much waits, and for how long. */
export interface EventLimits {
  readonly maxSpans: number;
  readonly maxEventsPerSpan: number;
  readonly maxCharsPerSpan: number;
  /** Most characters waiting in all (issue 30: 10,000 spans × 8 MiB could wait, and killed a bridge). */
  readonly maxChars: number;
  readonly maxAgeMillis: number;
}

const DEFAULT_LIMITS: EventLimits = {
  maxSpans: 10_000,
  maxEventsPerSpan: 2_000,
  maxCharsPerSpan: 8 * 1024 * 1024,
  maxChars: 16 * 1024 * 1024,
  maxAgeMillis: 5 * 60_000,
};

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a log record's name is a GenAI event this store reads. */
export function isGenAiEventName(name: unknown): name is string {
  return typeof name === 'string' && name.startsWith('gen_ai.');
}

/** The message one event describes, and whether it is the call's output; undefined for other events. */
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
      const message = {
        role: 'assistant',
        content: m.content,
        tool_calls: m.tool_calls,
        finish_reason: b.finish_reason,
      };
      return { message, output: true };
    }
    default:
      return undefined;
  }
}

function parsedList(value: unknown, maxChars: number): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string' || value.length > maxChars) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Events by span id until their span takes them. Bounded in characters (their JSON text), per
 * span and in all, and in count: at most `maxSpans` spans and `maxChars` characters in all (the
 * oldest spans go first, counted in `evicted`: their calls lose their messages), `maxEventsPerSpan`
 * events and `maxCharsPerSpan` characters a span (past it the oldest input messages go, the
 * history every call repeats, so the turn's question and the answer stay: issue 30 lost both); what
 * waits longer than `maxAgeMillis` is forgotten uncounted (its span was not one we read).
 */
export class GenAiEvents {
  private readonly pending = new Map<string, Pending>();
  private chars = 0;
  /** Spans whose waiting events were forgotten for room before their span came. */
  evicted = 0;

  constructor(
    private readonly limits: EventLimits = DEFAULT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Spans with events waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Characters waiting in all. */
  get heldChars(): number {
    return this.chars;
  }

  /**
   * Keeps one event for its span: a per-message event of the older conventions, or one
   * `gen_ai.client.inference.operation.details` with the whole input and output. Others are ignored.
   */
  keep(spanId: string, name: string, body: unknown, attributes: Readonly<Record<string, unknown>>): void {
    const details = name === 'gen_ai.client.inference.operation.details';
    const one = details ? undefined : messageOfEvent(name, body);
    if (!details && one === undefined) return;
    const entry = this.entryOf(spanId);
    if (entry.input.length + entry.output.length >= this.limits.maxEventsPerSpan) return;
    if (one !== undefined) {
      this.add(entry, one.message, JSON.stringify(one.message).length, one.output);
    } else {
      for (const [key, output] of [
        ['gen_ai.input.messages', false],
        ['gen_ai.output.messages', true],
      ] as const) {
        const value = attributes[key] ?? (isObject(body) ? body[key] : undefined);
        const list = parsedList(value, this.limits.maxCharsPerSpan);
        for (const message of list ?? []) this.add(entry, message, JSON.stringify(message)?.length ?? 0, output);
      }
    }
    this.makeRoom(spanId);
  }

  /** The messages waiting for this span, taken (each event is read once); undefined when none. */
  take(spanId: string): EventMessages | undefined {
    const entry = this.pending.get(spanId);
    if (entry === undefined) return undefined;
    this.pending.delete(spanId);
    this.chars -= entry.chars;
    const input = entry.input.map((kept) => kept.message);
    return input.length + entry.output.length > 0 ? { input, output: entry.output } : undefined;
  }

  private add(entry: Pending, message: unknown, chars: number, output: boolean): void {
    if (chars > this.limits.maxCharsPerSpan) return;
    if (output) entry.output.push(message);
    else entry.input.push({ message, chars });
    entry.chars += chars;
    this.chars += chars;
    // Over the span's bound: the oldest input first (history), never the output.
    while (entry.chars > this.limits.maxCharsPerSpan && entry.input.length > 0) {
      const oldest = entry.input.shift() as { chars: number };
      entry.chars -= oldest.chars;
      this.chars -= oldest.chars;
    }
  }

  /** Forgets the oldest spans (not `keeping`) while over the bounds in all. */
  private makeRoom(keeping: string): void {
    if (this.chars <= this.limits.maxChars && this.pending.size <= this.limits.maxSpans) return;
    for (const [id, waiting] of this.pending) {
      if (this.chars <= this.limits.maxChars && this.pending.size <= this.limits.maxSpans) break;
      if (id === keeping) continue;
      this.pending.delete(id);
      this.chars -= waiting.chars;
      this.evicted += 1;
    }
  }

  private entryOf(spanId: string): Pending {
    let entry = this.pending.get(spanId);
    if (entry === undefined) {
      const oldest = this.clock() - this.limits.maxAgeMillis;
      for (const [id, waiting] of this.pending) {
        if (waiting.since >= oldest) break;
        this.pending.delete(id);
        this.chars -= waiting.chars;
      }
      entry = { input: [], output: [], chars: 0, since: this.clock() };
      this.pending.set(spanId, entry);
    }
    return entry;
  }
}

/**
 * The span with the events' messages as `gen_ai.input.messages` / `gen_ai.output.messages` (what
 * the span states itself wins). `extra` attributes are laid over it (the bridge names the
 * conversation of a span read again).
 */
export function withEventMessages(span: FinishedSpan, messages: EventMessages, extra: Attributes = {}): FinishedSpan {
  const attributes: Attributes = { ...span.attributes, ...extra };
  if (attributes['gen_ai.input.messages'] === undefined && messages.input.length > 0)
    attributes['gen_ai.input.messages'] = JSON.stringify(messages.input);
  if (attributes['gen_ai.output.messages'] === undefined && messages.output.length > 0)
    attributes['gen_ai.output.messages'] = JSON.stringify(messages.output);
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
