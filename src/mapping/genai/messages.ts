import type { Attributes } from '@opentelemetry/api';

/*
 * An LLM call's messages, read from whichever form its instrumentation wrote them in, as one shape:
 * the current GenAI conventions (`gen_ai.input.messages` / `gen_ai.output.messages`, parts), their
 * older flat form (`gen_ai.prompt.N.*` / `gen_ai.completion.N.*`, OpenLLMetry), OpenInference
 * (`llm.input_messages.N.message.*`) and the Vercel AI SDK's own (`ai.prompt.messages`,
 * `ai.response.text`). Linear in the size of the attributes, and bounded: of a list longer than
 * {@link MAX_MESSAGES_TEXT} characters only its last messages (its last MiB) are read, where a
 * call's new messages are; the span's other lists are read as usual (issue 30: a 20 MB history
 * lost the span's small answer with it).
 */

/** One message of a call. */
export interface GenAiMessage {
  readonly role: string;
  /** Its text parts joined, or undefined when it has none (a tool call, content not captured). */
  readonly text: string | undefined;
  /** Tool calls it asks for (assistant). */
  readonly toolCalls: readonly GenAiToolCall[];
  /** The tool call it answers (role `tool`), with the result. */
  readonly toolResult?: { readonly id: string | undefined; readonly result: unknown };
  readonly finishReason?: string;
}

/** A tool call an assistant message asks for. */
export interface GenAiToolCall {
  readonly id: string | undefined;
  readonly name: string;
  readonly arguments: unknown;
}

/** The messages of one LLM call: what it was sent (the whole history) and what it answered. */
export interface GenAiCall {
  readonly input: readonly GenAiMessage[];
  readonly output: readonly GenAiMessage[];
}

/** Longest JSON list of messages read (the history grows with every call of a conversation). */
export const MAX_MESSAGES_TEXT = 8 * 1024 * 1024;
/** Most numbered (flat) messages read from one span. */
const MAX_FLAT_MESSAGES = 10_000;

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** How much of the end of an over-long list is read. */
const TAIL_CHARS = 1024 * 1024;
/** Most places a message may start at that are tried in that tail (each a parse of at most the tail). */
const TAIL_ATTEMPTS = 16;

/**
 * The last messages of a JSON list too long to read whole: from the earliest `,{` in its last
 * {@link TAIL_CHARS} characters that starts a valid rest of the list (one inside a string does not
 * parse to the end). Undefined when none does.
 */
function tailOfList(value: string): unknown[] | undefined {
  const end = value.trimEnd();
  if (!end.endsWith(']')) return undefined;
  let attempts = 0;
  for (
    let at = end.indexOf(',', end.length - TAIL_CHARS);
    at !== -1 && attempts < TAIL_ATTEMPTS;
    at = end.indexOf(',', at + 1)
  ) {
    let start = at + 1;
    while (end.charCodeAt(start) === 32 || end.charCodeAt(start) === 10 || end.charCodeAt(start) === 13) start += 1;
    if (end[start] !== '{') continue;
    attempts += 1;
    try {
      const parsed: unknown = JSON.parse(`[${end.slice(start)}`);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // Not the start of an element: try the next one.
    }
  }
  return undefined;
}

/** A JSON list attribute (string, or already structured), or undefined; over the bound, its last messages. */
function jsonList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return undefined;
  if (value.length > MAX_MESSAGES_TEXT) {
    const tail = tailOfList(value);
    if (tail === undefined) throw new RangeError(`its messages are over ${MAX_MESSAGES_TEXT} characters`);
    return tail;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A tool call's arguments: parsed when they are JSON text. */
function argumentsOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** One message in any JSON form: `{role, parts}` (current), `{role, content}` (string or parts). */
function messageOf(raw: unknown): GenAiMessage | undefined {
  if (!isObject(raw)) return undefined;
  const role = str(raw.role) ?? 'user';
  const texts: string[] = [];
  const toolCalls: GenAiToolCall[] = [];
  let toolResult: GenAiMessage['toolResult'];
  const parts = Array.isArray(raw.parts) ? raw.parts : Array.isArray(raw.content) ? raw.content : undefined;
  if (parts === undefined) {
    const content = str(raw.content);
    if (content !== undefined) texts.push(content);
  }
  for (const part of parts ?? []) {
    if (!isObject(part)) continue;
    const type = str(part.type);
    if (type === 'text' || type === undefined) {
      const value = str(part.content) ?? str(part.text);
      if (value !== undefined) texts.push(value);
    } else if (type === 'tool_call' || type === 'tool-call') {
      const name = str(part.name) ?? str(part.toolName);
      if (name !== undefined)
        toolCalls.push({
          id: str(part.id) ?? str(part.toolCallId),
          name,
          arguments: argumentsOf(part.arguments ?? part.input ?? part.args),
        });
    } else if (type === 'tool_call_response' || type === 'tool-result') {
      toolResult = { id: str(part.id) ?? str(part.toolCallId), result: part.response ?? part.result ?? part.output };
    }
  }
  // OpenAI's own shape, as older instrumentations copy it: `tool_calls` beside the content.
  if (Array.isArray(raw.tool_calls)) {
    for (const call of raw.tool_calls) {
      const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
      const name = str(fn?.name);
      if (name !== undefined)
        toolCalls.push({ id: str((call as Loose).id), name, arguments: argumentsOf(fn?.arguments) });
    }
  }
  if (role === 'tool' && toolResult === undefined && texts.length > 0) {
    toolResult = { id: str(raw.tool_call_id) ?? str(raw.id), result: texts.join('') };
  }
  const finishReason = str(raw.finish_reason);
  return {
    role,
    text: texts.length > 0 ? texts.join('') : undefined,
    toolCalls,
    ...(toolResult === undefined ? {} : { toolResult }),
    ...(finishReason === undefined ? {} : { finishReason }),
  };
}

/** Messages numbered in flat attributes: `${prefix}.${n}${infix}role` / `content` / `tool_calls.K…`. */
function flatMessages(attributes: Attributes, prefix: string, infix: string): GenAiMessage[] {
  const messages: GenAiMessage[] = [];
  for (let n = 0; n < MAX_FLAT_MESSAGES; n++) {
    const at = `${prefix}.${n}${infix}`;
    const role = str(attributes[`${at}role`]);
    const content = str(attributes[`${at}content`]);
    if (role === undefined && content === undefined) break;
    const finishReason = str(attributes[`${prefix}.${n}.finish_reason`]);
    const toolCallId = str(attributes[`${at}tool_call_id`]);
    messages.push({
      role: role ?? 'user',
      // An empty content is no text: the message is a tool call, or its content was not captured.
      text: content === '' ? undefined : content,
      toolCalls: flatToolCalls(attributes, at),
      ...(role === 'tool' && content !== undefined ? { toolResult: { id: toolCallId, result: content } } : {}),
      ...(finishReason === undefined ? {} : { finishReason }),
    });
  }
  return messages;
}

/** OpenInference's numbered tool calls of a message: `tool_calls.K.tool_call.function.name` … */
function flatToolCalls(attributes: Attributes, at: string): GenAiToolCall[] {
  const calls: GenAiToolCall[] = [];
  for (let k = 0; k < MAX_FLAT_MESSAGES; k++) {
    const call = `${at}tool_calls.${k}.tool_call.`;
    const name = str(attributes[`${call}function.name`]);
    if (name === undefined) break;
    calls.push({
      id: str(attributes[`${call}id`]),
      name,
      arguments: argumentsOf(attributes[`${call}function.arguments`]),
    });
  }
  return calls;
}

function listOf(value: unknown): GenAiMessage[] | undefined {
  const list = jsonList(value);
  return list?.map(messageOf).filter((m): m is GenAiMessage => m !== undefined);
}

/**
 * The call's messages, or undefined when the span carries none in any form read. Throws a
 * RangeError when a list is over {@link MAX_MESSAGES_TEXT} (the span is then reported, not read).
 */
export function genAiCallOf(a: Attributes): GenAiCall | undefined {
  const input =
    listOf(a['gen_ai.input.messages']) ??
    listOf(a['ai.prompt.messages']) ??
    nonEmpty(flatMessages(a, 'gen_ai.prompt', '.')) ??
    nonEmpty(flatMessages(a, 'llm.input_messages', '.message.'));
  const responseText = str(a['ai.response.text']);
  const output =
    listOf(a['gen_ai.output.messages']) ??
    (responseText !== undefined ? [{ role: 'assistant', text: responseText, toolCalls: [] }] : undefined) ??
    nonEmpty(flatMessages(a, 'gen_ai.completion', '.')) ??
    nonEmpty(flatMessages(a, 'llm.output_messages', '.message.'));
  if (input === undefined && output === undefined) return undefined;
  return { input: input ?? [], output: output ?? [] };
}

function nonEmpty(messages: GenAiMessage[]): GenAiMessage[] | undefined {
  return messages.length > 0 ? messages : undefined;
}
