import type { Attributes } from '@opentelemetry/api';
import { loggable } from '../../common/log-text';
import type { FinishedSpan as ReadableSpan } from '../../common/sdk-shapes';
import { truncate } from '../../common/truncate';
import type { MappingOptions } from '../options';
import type { ActionPayload, JsonObject, MessagePayload, PlannedItem } from '../payloads';
import { durationMs, errorMessage, shortHash, spanKey, text, withTraceLink } from '../span-values';
import { toAgentSightTimestamp, toMicroseconds } from '../timestamp';
import type { GenAiHistory } from './genai-history';
import { type GenAiCall, type GenAiMessage, type GenAiToolCall, genAiCallOf } from './messages';

/*
 * One GenAI span to AgentSight items. An LLM call repeats the whole history, so from each call
 * only what is new in it is taken: the user's messages after the last message of another role
 * (the turn's question), the tool results after the last user message (the turn's tool calls), and
 * the answer when it is final (text, no tool call pending). Each item's key comes from its
 * conversation, its place in the history (its position and a digest of every message before it)
 * and its content: the same message read from another call has the same key, and the
 * {@link GenAiHistory} keeps it once. The digest is what tells apart two "yes" a chat memory
 * with a sliding window (system + last N messages) puts at the same position in different turns.
 */

/** Where the model's name is read (the answer's metadata keeps it). */
const MODEL_KEYS = ['gen_ai.response.model', 'gen_ai.request.model', 'ai.response.model', 'ai.model.id'];

function keyOf(kind: string, conversationId: string, ...parts: readonly (string | number)[]): string {
  return `genai-${kind}-${shortHash([conversationId, ...parts].join('\n'))}`;
}

function messageItem(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
  message: {
    sender: 'end_user' | 'agent';
    text: string;
    position: number;
    before: string;
    at: ReadableSpan['endTime'];
  },
): PlannedItem {
  const metadata: JsonObject = {};
  const model = message.sender === 'agent' ? MODEL_KEYS.map((k) => text(span.attributes, k)).find(Boolean) : undefined;
  if (model !== undefined) metadata.model = truncate(model, Math.min(255, options.maxFieldLength));
  const body: MessagePayload = {
    timestamp: toAgentSightTimestamp(message.at),
    content: truncate(masked(options, message.text, 'message.content'), options.maxFieldLength),
    sender: message.sender,
    conversation_id: conversationId,
    metadata: withTraceLink(metadata, span, options),
  };
  return {
    kind: 'message',
    body,
    idempotencyKey: keyOf(message.sender, conversationId, message.position, message.before, message.text),
    label: `${message.sender} message`,
    atMicros: toMicroseconds(message.at),
  };
}

function toolAction(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
  tool: { name: string; callId: string | undefined; arguments: unknown; result: unknown; position?: number },
  timing: 'span' | 'start',
): PlannedItem {
  const at = timing === 'span' ? span.endTime : span.startTime;
  const metadata: JsonObject = {};
  if (tool.arguments !== undefined) metadata.arguments = boundedArguments(tool.arguments, options);
  if (tool.callId !== undefined) metadata.tool_call_id = truncate(tool.callId, Math.min(255, options.maxFieldLength));
  const body: ActionPayload = {
    timestamp: toAgentSightTimestamp(at),
    action_name: truncate(tool.name, options.maxFieldLength),
    conversation_id: conversationId,
    metadata: withTraceLink(metadata, span, options),
  };
  if (timing === 'span') {
    body.started_at = toAgentSightTimestamp(span.startTime);
    body.ended_at = toAgentSightTimestamp(span.endTime);
    body.duration_ms = durationMs(span);
    const error = errorMessage(span);
    if (error !== undefined) body.error_msg = truncate(error, options.maxFieldLength);
  }
  if (tool.result !== undefined) {
    const result = resultText(tool.result);
    if (result !== undefined)
      body.response = truncate(masked(options, result, 'action.response'), options.maxFieldLength);
  }
  // A tool call seen both as its own span and in the next call's messages has one key: its id.
  const idempotencyKey =
    tool.callId !== undefined
      ? keyOf('tool', conversationId, tool.callId)
      : tool.position !== undefined
        ? keyOf('tool', conversationId, tool.position, tool.name)
        : spanKey(span, 'action');
  return {
    kind: 'action',
    body,
    idempotencyKey,
    label: `action "${loggable(tool.name, 60)}"`,
    atMicros: toMicroseconds(at),
  };
}

/** `text` through the application's mask for `field`, when it set one. */
function masked(
  options: MappingOptions,
  text: string,
  field: 'message.content' | 'action.arguments' | 'action.response',
): string {
  return options.genAiMask === undefined ? text : options.genAiMask(text, field);
}

/**
 * A tool's arguments as they are when small enough and no mask is set, else their JSON text,
 * masked, cut to `maxFieldLength`.
 */
function boundedArguments(value: unknown, options: MappingOptions): JsonObject[string] {
  const maxLength = options.maxFieldLength;
  const json = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const text = masked(options, json, 'action.arguments');
  if (text.length > maxLength) return truncate(text.slice(0, maxLength), maxLength, text.length);
  return options.genAiMask === undefined ? (value as JsonObject[string]) : text;
}

/** A tool's result as text: a JSON-encoded string (`"42"`, as the Vercel AI SDK writes it) unwrapped. */
function resultText(result: unknown): string | undefined {
  if (typeof result !== 'string') return JSON.stringify(result);
  if (!result.startsWith('"')) return result;
  try {
    const parsed: unknown = JSON.parse(result);
    return typeof parsed === 'string' ? parsed : result;
  } catch {
    return result;
  }
}

/** JSON text parsed, anything else as it is. */
function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** What a LangChain tool returned, as OpenInference writes it (a serialised `ToolMessage`): its content. */
function openInferenceResult(value: unknown): unknown {
  const output = parsed(value) as { output?: { kwargs?: { content?: unknown } } } | unknown;
  const content = (output as { output?: { kwargs?: { content?: unknown } } })?.output?.kwargs?.content;
  return content ?? value;
}

/** A tool's own span (OTel `execute_tool`, the Vercel AI SDK's `ai.toolCall`, OpenInference `TOOL`), or undefined. */
function toolSpanOf(
  a: Attributes,
): { name: string; callId: string | undefined; arguments: unknown; result: unknown } | undefined {
  if (a['openinference.span.kind'] === 'TOOL') {
    const name = text(a, 'tool.name');
    if (name === undefined) return undefined;
    const callId = text(a, 'tool_call.id');
    return { name, callId, arguments: parsed(a['input.value']), result: openInferenceResult(a['output.value']) };
  }
  const name = text(a, 'gen_ai.tool.name') ?? text(a, 'ai.toolCall.name');
  const isExecution =
    a['gen_ai.operation.name'] === 'execute_tool' ||
    a['ai.toolCall.name'] !== undefined ||
    a['gen_ai.tool.call.id'] !== undefined;
  if (name === undefined || !isExecution) return undefined;
  return {
    name,
    callId: text(a, 'gen_ai.tool.call.id') ?? text(a, 'ai.toolCall.id'),
    arguments: parsed(a['gen_ai.tool.call.arguments'] ?? a['ai.toolCall.args']),
    result: a['gen_ai.tool.call.result'] ?? a['ai.toolCall.result'],
  };
}

/** What one message adds to the digest of the history before a later one. */
function messageText(m: GenAiMessage): string {
  let text = `${m.role}\u0000${m.text ?? ''}`;
  for (const c of m.toolCalls) text += `\u0000${c.id ?? ''}\u0000${c.name}`;
  if (m.toolResult !== undefined) text += `\u0000${m.toolResult.id ?? ''}`;
  return `${text}\u0001`;
}

/**
 * Digests of the history before each position from `first` to the end (the last one is the
 * whole input, what precedes the answer): a chain, each the hash of the one before and the
 * message between them, so linear in the history's text, with one hash for all that precedes
 * `first` (a Hash object per message cost the zero-code mapping a quarter of its rate).
 */
function historyDigests(input: readonly GenAiMessage[], first: number): string[] {
  const before: string[] = [];
  for (let i = 0; i < Math.min(first, input.length); i++) before.push(messageText(input[i] as GenAiMessage));
  let digest = shortHash(before.join(''));
  const digests: string[] = [digest];
  for (let i = first; i < input.length; i++) {
    digest = shortHash(digest + messageText(input[i] as GenAiMessage));
    digests.push(digest);
  }
  return digests;
}

/**
 * Most new user messages read from one call. A call whose history is all user messages (230,000
 * of them in issue 30: a 2.9 s block, 128,154 items refused as `queue_full`) gives its last ones,
 * and the rest are counted (`too_many_messages`).
 */
export const MAX_NEW_MESSAGES_PER_CALL = 1_000;

/** What one GenAI span gives before the history memory is asked: its items, and new messages past the cap. */
export interface GenAiRead {
  readonly items: PlannedItem[];
  /** New user messages over {@link MAX_NEW_MESSAGES_PER_CALL}, not read. */
  readonly overLimit: number;
}

/** The items new in one call: the turn's question, its tool results, its final answer. */
function callItems(span: ReadableSpan, conversationId: string, options: MappingOptions, call: GenAiCall): GenAiRead {
  const items: PlannedItem[] = [];
  const { input, output } = call;
  let lastOther = -1;
  let lastUser = -1;
  input.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
    else lastOther = i;
  });
  const overLimit = Math.max(0, input.length - (lastOther + 1) - MAX_NEW_MESSAGES_PER_CALL);
  const firstNew = lastOther + 1 + overLimit;
  const before = historyDigests(input, firstNew);
  const digestBefore = (position: number): string => before[position - firstNew] ?? '';
  for (let i = firstNew; i < input.length; i++) {
    const m = input[i] as GenAiMessage;
    if (m.text !== undefined)
      items.push(
        messageItem(span, conversationId, options, {
          sender: 'end_user',
          text: m.text,
          position: i,
          before: digestBefore(i),
          at: span.startTime,
        }),
      );
  }
  const calls = new Map<string, GenAiToolCall>();
  for (let i = Math.max(0, lastUser); i < input.length; i++) {
    const m = input[i] as GenAiMessage;
    for (const c of m.toolCalls) if (c.id !== undefined) calls.set(c.id, c);
    // Without a call id a tool result cannot be told from the tool's own span (OpenInference
    // writes both): the span speaks for it.
    if (m.toolResult === undefined || m.toolResult.id === undefined || i <= lastUser) continue;
    const asked = m.toolResult.id === undefined ? undefined : calls.get(m.toolResult.id);
    items.push(
      toolAction(
        span,
        conversationId,
        options,
        {
          name: asked?.name ?? 'tool',
          callId: m.toolResult.id,
          arguments: asked?.arguments,
          result: m.toolResult.result,
          position: i,
        },
        'start',
      ),
    );
  }
  output.forEach((m, j) => {
    const pending = m.toolCalls.length > 0 || /^tool[-_]?calls?$/.test(m.finishReason ?? '');
    if (m.role !== 'user' && m.role !== 'tool' && m.text !== undefined && !pending) {
      items.push(
        messageItem(span, conversationId, options, {
          sender: 'agent',
          text: m.text,
          position: input.length + j,
          before: digestBefore(input.length),
          at: span.endTime,
        }),
      );
    }
  });
  return { items, overLimit };
}

/**
 * What a GenAI span gives, before the history memory is asked, or why the span cannot be read:
 * the costly part (its messages parsed, the history digested), which the exporter may run ahead
 * of the mapping in slices. A span with no messages and no tool execution gives none (its token
 * usage is read apart).
 */
export function readGenAiItems(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
): GenAiRead | string {
  const tool = toolSpanOf(span.attributes);
  if (tool !== undefined) return { items: [toolAction(span, conversationId, options, tool, 'span')], overLimit: 0 };
  let call: GenAiCall | undefined;
  try {
    call = genAiCallOf(span.attributes);
  } catch (error) {
    return (error as Error).message;
  }
  return call === undefined ? { items: [], overLimit: 0 } : callItems(span, conversationId, options, call);
}

/** Of what a span gave, the items `history` has not seen yet (and remembers them). */
export function newGenAiItems(
  read: GenAiRead,
  conversationId: string,
  history: GenAiHistory | undefined,
): PlannedItem[] {
  if (history === undefined) return read.items;
  return read.items.filter((item) => history.firstTime(conversationId, item.idempotencyKey));
}
