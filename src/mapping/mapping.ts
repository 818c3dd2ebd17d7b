import { createHash } from 'node:crypto';
import { type Attributes, type HrTime, SpanStatusCode } from '@opentelemetry/api';
import { boundedIdentifier } from '../common/identifier';
import { loggable } from '../common/log-text';
import type { FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
import { nonBlankText } from '../common/text';
import { truncate } from '../common/truncate';
import {
  ATTR_AGENTSIGHT_ACTION_ARGUMENTS,
  ATTR_AGENTSIGHT_ACTION_METADATA,
  ATTR_AGENTSIGHT_ACTION_NAME,
  ATTR_AGENTSIGHT_ACTION_RESPONSE,
  ATTR_AGENTSIGHT_ACTION_TOOLS_USED,
  ATTR_AGENTSIGHT_ATTACHMENTS,
  ATTR_AGENTSIGHT_BUTTON_EVENT,
  ATTR_AGENTSIGHT_BUTTON_LABEL,
  ATTR_AGENTSIGHT_BUTTON_METADATA,
  ATTR_AGENTSIGHT_BUTTON_VALUE,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS,
  ATTR_AGENTSIGHT_CONVERSATION_DEVICE,
  ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT,
  ATTR_AGENTSIGHT_CONVERSATION_ID,
  ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE,
  ATTR_AGENTSIGHT_CONVERSATION_METADATA,
  ATTR_AGENTSIGHT_CONVERSATION_NAME,
  ATTR_AGENTSIGHT_CONVERSATION_SOURCE,
  ATTR_AGENTSIGHT_FEEDBACK_COMMENT,
  ATTR_AGENTSIGHT_FEEDBACK_METADATA,
  ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT,
  ATTR_AGENTSIGHT_MESSAGE_CONTENT,
  ATTR_AGENTSIGHT_MESSAGE_METADATA,
  ATTR_AGENTSIGHT_MESSAGE_SENDER,
  ATTR_AGENTSIGHT_SPAN_KIND,
} from '../semconv/attributes';
import {
  AGENTSIGHT_CONVERSATION_DEVICE_VALUES,
  AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
  AGENTSIGHT_SPAN_KIND_VALUE_ACTION,
  AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS,
  AGENTSIGHT_SPAN_KIND_VALUE_BUTTON,
  AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION,
  AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK,
  AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE,
  AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE,
} from '../semconv/values';
import type {
  ActionPayload,
  AttachmentsPayload,
  ButtonPayload,
  ConversationPayload,
  ConversationPlan,
  FeedbackPayload,
  JsonObject,
  MessagePayload,
  PlannedFile,
  PlannedItem,
} from './payloads';
import { toAgentSightTimestamp, toMicroseconds } from './timestamp';
import { addTokenCounts, type TokenCounts, tokenUsageOf } from './token-usage';

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
}

/** Metadata key of an item's trace id (32 hex), when trace links are on. */
export const TRACE_ID_METADATA_KEY = 'otel.trace_id';
/** Metadata key of the id of the span an item came from (16 hex), when trace links are on. */
export const SPAN_ID_METADATA_KEY = 'otel.span_id';

/** `metadata` with the span's trace and span ids added (keys the application set win). */
function withTraceLink(metadata: JsonObject, span: ReadableSpan, options: MappingOptions): JsonObject {
  if (options.traceLinks !== true) return metadata;
  const { traceId, spanId } = span.spanContext();
  if (!/^[0-9a-f]{32}$/.test(traceId)) return metadata;
  return { [TRACE_ID_METADATA_KEY]: traceId, [SPAN_ID_METADATA_KEY]: spanId, ...metadata };
}

/** A span the mapping could not turn into an item, and why. */
export interface DroppedSpan {
  readonly conversationId: string;
  readonly spanName: string;
  readonly reason: string;
}

/** The result of mapping one export's spans. */
export interface MappingResult {
  readonly plans: ConversationPlan[];
  readonly dropped: DroppedSpan[];
}

/** Fields that are identifiers: bounded and cleaned by the rule the instrumentation applies too. */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set([
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS,
  ATTR_AGENTSIGHT_CONVERSATION_SOURCE,
  ATTR_AGENTSIGHT_FEEDBACK_COMMENT,
  ATTR_AGENTSIGHT_FEEDBACK_METADATA,
  ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT,
  ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE,
]);

/** The feedback comment limit of the API (§3.6). */
const MAX_COMMENT_LENGTH = 5_000;

/** The conversation name limit of the API (§3.1, §3.11). */
const MAX_NAME_LENGTH = 255;
const DEVICES: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_DEVICE_VALUES);
const ENVIRONMENTS: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES);

/** An item on its way into a plan, with what orders it. */
interface OrderedItem {
  readonly item: PlannedItem;
  /** Position of its span in the export: spans arrive in the order they ended. */
  readonly endOrder: number;
}

function text(attributes: Attributes, key: string): string | undefined {
  return nonBlankText(attributes[key]);
}

/**
 * A JSON-object attribute as an object; other JSON is kept under `value`, unparseable text as a
 * string. Text longer than `maxLength` is not parsed at all: it is kept as a cut preview, so a
 * hand-made span cannot make a field (or the work of reading it) bigger than the limit.
 */
function jsonObject(attributes: Attributes, key: string, maxLength: number): JsonObject | undefined {
  const value = attributes[key];
  if (typeof value !== 'string') return undefined;
  if (value.length > maxLength) {
    return { truncated: true, preview: truncate(value.slice(0, maxLength), Math.max(0, maxLength - 64), value.length) };
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonObject;
    return { value: parsed };
  } catch {
    return { value };
  }
}

/** Parsed JSON if it is JSON (a truncated value is not), else the text as it is, cut to `maxLength`. */
function jsonOrText(value: unknown, maxLength: number): unknown {
  if (typeof value !== 'string') return undefined;
  if (value.length > maxLength) return truncate(value.slice(0, maxLength), maxLength, value.length);
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** A span's name for a log line, whatever it holds. */
function spanName(span: ReadableSpan): string {
  return typeof span.name === 'string' ? span.name : String(span.name);
}

function spanKey(span: ReadableSpan, kind: string): string {
  const { traceId, spanId } = span.spanContext();
  return `${kind}-${traceId}-${spanId}`;
}

/** From the two validated times: a hand-made span's own `duration` may be missing or wrong. */
function durationMs(span: ReadableSpan): number {
  return Math.max(0, Math.round((toMicroseconds(span.endTime) - toMicroseconds(span.startTime)) / 1e3));
}

function errorMessage(span: ReadableSpan): string | undefined {
  if (span.status.code !== SpanStatusCode.ERROR) return undefined;
  if (span.status.message) return span.status.message;
  const exception = span.events.find((e) => e.name === 'exception');
  const message = exception?.attributes?.['exception.message'];
  return typeof message === 'string' && message !== '' ? message : 'error';
}

/** Builds the conversation record from the fields its spans carry; the turn's own span speaks first. */
function conversationRecord(
  conversationId: string,
  spans: readonly ReadableSpan[],
  startedAt: HrTime,
  options: MappingOptions,
  used: boolean,
): ConversationPayload {
  const ordered = [...spans].sort(
    (a, b) =>
      Number(b.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION) -
      Number(a.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION),
  );
  const first = (key: string): string | undefined => {
    for (const span of ordered) {
      const value = text(span.attributes, key);
      if (value !== undefined)
        return IDENTIFIER_KEYS.has(key) ? boundedIdentifier(value) : truncate(value, options.maxFieldLength);
    }
    return undefined;
  };
  const device = first(ATTR_AGENTSIGHT_CONVERSATION_DEVICE);
  const environment = first(ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT);
  const name = first(ATTR_AGENTSIGHT_CONVERSATION_NAME);
  const metadataSpan = ordered.find((s) => s.attributes[ATTR_AGENTSIGHT_CONVERSATION_METADATA] !== undefined);
  return {
    timestamp: toAgentSightTimestamp(startedAt),
    conversation_id: conversationId,
    customer_id: first(ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID) ?? null,
    customer_ip_address: first(ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS) ?? null,
    device: device !== undefined && DEVICES.has(device) ? device : null,
    source: first(ATTR_AGENTSIGHT_CONVERSATION_SOURCE) ?? null,
    language: first(ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE) ?? null,
    name: name === undefined ? null : truncate(name, MAX_NAME_LENGTH),
    is_used: used,
    environment: environment !== undefined && ENVIRONMENTS.has(environment) ? environment : options.environment,
    metadata: metadataSpan
      ? (jsonObject(metadataSpan.attributes, ATTR_AGENTSIGHT_CONVERSATION_METADATA, options.maxFieldLength) ?? null)
      : null,
  };
}

type SpanMapper = (
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
) => PlannedItem | readonly PlannedItem[] | string;

function messageItem(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
): PlannedItem | readonly PlannedItem[] | string {
  const a = span.attributes;
  const sender = a[ATTR_AGENTSIGHT_MESSAGE_SENDER];
  if (sender !== AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER && sender !== AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT) {
    return `unknown sender "${String(sender)}"`;
  }
  const content = text(a, ATTR_AGENTSIGHT_MESSAGE_CONTENT);
  if (content === undefined) return 'empty message content';
  const body: MessagePayload = {
    timestamp: toAgentSightTimestamp(span.endTime),
    content: truncate(content, options.maxFieldLength),
    sender,
    conversation_id: conversationId,
    metadata: withTraceLink(
      jsonObject(a, ATTR_AGENTSIGHT_MESSAGE_METADATA, options.maxFieldLength) ?? {},
      span,
      options,
    ),
  };
  const message: PlannedItem = {
    kind: 'message',
    body,
    idempotencyKey: spanKey(span, 'message'),
    label: `${sender} message`,
    atMicros: toMicroseconds(span.endTime),
  };
  if (a[ATTR_AGENTSIGHT_ATTACHMENTS] === undefined) return message;
  // The files follow their message and are linked to the id its answer carries (§3.5 B, D).
  const files = attachmentsItem(span, conversationId, options, message.idempotencyKey);
  return typeof files === 'string' ? [message] : [message, files];
}

const RECORDED_DROPS: ReadonlySet<unknown> = new Set(['invalid', 'over_limit', 'over_budget']);

/** The files `agentsight.attachments` describes, or why it cannot be read. */
function plannedFiles(value: unknown): PlannedFile[] | string {
  if (typeof value !== 'string') return 'attachments that are not a JSON list';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'attachments that are not a JSON list';
  }
  if (!Array.isArray(parsed)) return 'attachments that are not a JSON list';
  const files: PlannedFile[] = [];
  for (const entry of parsed) {
    const d = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const size = typeof d.size === 'number' && Number.isSafeInteger(d.size) && d.size >= 0 ? d.size : 0;
    files.push({
      id: typeof d.id === 'string' ? d.id : undefined,
      filename: typeof d.filename === 'string' && d.filename.trim() !== '' ? d.filename : 'attachment',
      mimeType: typeof d.mime_type === 'string' && d.mime_type !== '' ? d.mime_type : undefined,
      size,
      // A descriptor with no id holds no bytes: it was dropped when recorded, or is not ours.
      dropped: RECORDED_DROPS.has(d.dropped)
        ? (d.dropped as PlannedFile['dropped'])
        : typeof d.id === 'string'
          ? undefined
          : 'invalid',
    });
  }
  return files;
}

/** Files of a message (`linkedTo` its key) or tracked on their own. */
function attachmentsItem(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
  linkedTo?: string,
): PlannedItem | string {
  const a = span.attributes;
  const files = plannedFiles(a[ATTR_AGENTSIGHT_ATTACHMENTS]);
  if (typeof files === 'string') return files;
  const sender = a[ATTR_AGENTSIGHT_MESSAGE_SENDER] === AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT ? 'agent' : 'end_user';
  const body: AttachmentsPayload = {
    timestamp: toAgentSightTimestamp(span.endTime),
    conversation_id: conversationId,
    sender,
    // Files of a message carry their own (empty) metadata, not the message's (§9 quirk 5).
    metadata:
      linkedTo === undefined ? (jsonObject(a, ATTR_AGENTSIGHT_MESSAGE_METADATA, options.maxFieldLength) ?? {}) : {},
  };
  return {
    kind: 'attachments',
    body,
    idempotencyKey: spanKey(span, 'attachments'),
    label: `${files.length} attachment(s)`,
    atMicros: toMicroseconds(span.endTime),
    files,
    ...(linkedTo === undefined ? {} : { linkedTo }),
  };
}

function standaloneAttachments(
  span: ReadableSpan,
  conversationId: string,
  options: MappingOptions,
): PlannedItem | string {
  return attachmentsItem(span, conversationId, options);
}

function actionItem(span: ReadableSpan, conversationId: string, options: MappingOptions): PlannedItem | string {
  const a = span.attributes;
  const name = text(a, ATTR_AGENTSIGHT_ACTION_NAME);
  if (name === undefined) return 'action without a name';
  const metadata: JsonObject = jsonObject(a, ATTR_AGENTSIGHT_ACTION_METADATA, options.maxFieldLength) ?? {};
  const args = jsonOrText(a[ATTR_AGENTSIGHT_ACTION_ARGUMENTS], options.maxFieldLength);
  if (args !== undefined && !Object.hasOwn(metadata, 'arguments')) metadata.arguments = args;
  const body: ActionPayload = {
    timestamp: toAgentSightTimestamp(span.endTime),
    action_name: truncate(name, options.maxFieldLength),
    conversation_id: conversationId,
    metadata: withTraceLink(metadata, span, options),
    started_at: toAgentSightTimestamp(span.startTime),
    ended_at: toAgentSightTimestamp(span.endTime),
    duration_ms: durationMs(span),
  };
  const toolsUsed = jsonObject(a, ATTR_AGENTSIGHT_ACTION_TOOLS_USED, options.maxFieldLength);
  if (toolsUsed !== undefined) body.tools_used = toolsUsed;
  const response = a[ATTR_AGENTSIGHT_ACTION_RESPONSE];
  if (typeof response === 'string') body.response = truncate(response, options.maxFieldLength);
  const error = errorMessage(span);
  if (error !== undefined) body.error_msg = truncate(error, options.maxFieldLength);
  return {
    kind: 'action',
    body,
    idempotencyKey: spanKey(span, 'action'),
    label: `action "${loggable(name, 60)}"`,
    atMicros: toMicroseconds(span.endTime),
  };
}

function buttonItem(span: ReadableSpan, conversationId: string, options: MappingOptions): PlannedItem | string {
  const a = span.attributes;
  const event = text(a, ATTR_AGENTSIGHT_BUTTON_EVENT);
  const label = text(a, ATTR_AGENTSIGHT_BUTTON_LABEL);
  const value = text(a, ATTR_AGENTSIGHT_BUTTON_VALUE);
  if (event === undefined || label === undefined || value === undefined) return 'button without event, label or value';
  const body: ButtonPayload = {
    timestamp: toAgentSightTimestamp(span.endTime),
    button_event: truncate(event, options.maxFieldLength),
    label: truncate(label, options.maxFieldLength),
    value: truncate(value, options.maxFieldLength),
    conversation_id: conversationId,
    metadata: withTraceLink(
      jsonObject(a, ATTR_AGENTSIGHT_BUTTON_METADATA, options.maxFieldLength) ?? {},
      span,
      options,
    ),
  };
  return {
    kind: 'button',
    body,
    idempotencyKey: spanKey(span, 'button'),
    label: `button "${loggable(event, 60)}"`,
    atMicros: toMicroseconds(span.endTime),
  };
}

const SENTIMENTS: ReadonlySet<unknown> = new Set(['positive', 'neutral', 'negative']);

function feedbackItem(span: ReadableSpan, conversationId: string, options: MappingOptions): PlannedItem | string {
  const a = span.attributes;
  const sentiment = a[ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT];
  if (!SENTIMENTS.has(sentiment)) return `unknown sentiment "${loggable(sentiment, 40)}"`;
  const body: FeedbackPayload = { sentiment: sentiment as string, conversation_id: conversationId };
  const comment = text(a, ATTR_AGENTSIGHT_FEEDBACK_COMMENT);
  if (comment !== undefined) body.comment = truncate(comment, Math.min(MAX_COMMENT_LENGTH, options.maxFieldLength));
  const metadata = jsonObject(a, ATTR_AGENTSIGHT_FEEDBACK_METADATA, options.maxFieldLength);
  if (metadata !== undefined) body.metadata = metadata;
  return {
    kind: 'feedback',
    body,
    idempotencyKey: spanKey(span, 'feedback'),
    label: `${sentiment as string} feedback`,
    atMicros: toMicroseconds(span.endTime),
  };
}

// A Map, not an object literal: a kind such as `constructor` or `__proto__` must find nothing.
const MAPPERS: ReadonlyMap<unknown, SpanMapper> = new Map<unknown, SpanMapper>([
  [AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE, messageItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_ACTION, actionItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_BUTTON, buttonItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK, feedbackItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS, standaloneAttachments],
]);

/** A span time that can be written as a timestamp: whole seconds and nanoseconds in range. */
function isValidTime(time: unknown): time is HrTime {
  if (!Array.isArray(time) || time.length !== 2) return false;
  const [seconds, nanos] = time as unknown[];
  return (
    typeof seconds === 'number' &&
    Number.isInteger(seconds) &&
    seconds >= 0 &&
    seconds < 253402300800 && // year 10000
    typeof nanos === 'number' &&
    Number.isInteger(nanos) &&
    nanos >= 0 &&
    nanos < 1e9
  );
}

/** Why a span cannot be read at all, or undefined when it can. */
function unreadable(span: ReadableSpan): string | undefined {
  if (!isValidTime(span.startTime)) return 'its start time is not a valid time';
  if (!isValidTime(span.endTime)) return 'its end time is not a valid time';
  return undefined;
}

/** A conversation's spans within one export, in the order they ended. */
interface ConversationSpans {
  readonly spans: ReadableSpan[];
  readonly endOrders: number[];
}

function groupByConversation(spans: readonly ReadableSpan[]): Map<string, ConversationSpans> {
  const groups = new Map<string, ConversationSpans>();
  spans.forEach((span, endOrder) => {
    let id: string | undefined;
    try {
      const raw = text(span.attributes, ATTR_AGENTSIGHT_CONVERSATION_ID);
      id = raw === undefined ? undefined : boundedIdentifier(raw);
    } catch {
      // No attributes to read: not a span of any conversation.
    }
    if (id === undefined) return;
    let group = groups.get(id);
    if (group === undefined) {
      group = { spans: [], endOrders: [] };
      groups.set(id, group);
    }
    group.spans.push(span);
    group.endOrders.push(endOrder);
  });
  return groups;
}

/** The token usage of one turn (the spans of one trace) in one export. */
interface TurnUsage {
  readonly usage: TokenCounts;
  readonly spanIds: string[];
  last: { span: ReadableSpan; endOrder: number };
}

function addTurnUsage(turns: Map<string, TurnUsage>, span: ReadableSpan, endOrder: number, tokens: TokenCounts): void {
  const traceId = span.spanContext().traceId;
  let turn = turns.get(traceId);
  if (turn === undefined) {
    turn = {
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, embedding_tokens: 0 },
      spanIds: [],
      last: { span, endOrder },
    };
    turns.set(traceId, turn);
  }
  addTokenCounts(turn.usage, tokens);
  turn.spanIds.push(span.spanContext().spanId);
  turn.last = { span, endOrder };
}

function tokenUsageItem(conversationId: string, turn: TurnUsage): OrderedItem {
  const body: ActionPayload = {
    timestamp: toAgentSightTimestamp(turn.last.span.endTime),
    action_name: 'token_usage',
    conversation_id: conversationId,
    metadata: { ...turn.usage },
  };
  const item: PlannedItem = {
    kind: 'token_usage',
    body,
    idempotencyKey: `token_usage-${shortHash(turn.spanIds.sort().join(','))}`,
    label: 'token usage',
    atMicros: toMicroseconds(turn.last.span.endTime),
  };
  return { item, endOrder: turn.last.endOrder };
}

/**
 * Turns one export's finished spans into per-conversation delivery plans: the conversation record,
 * then every item in the order it happened. An item happens when its span ends, and spans reach
 * the exporter in the order they ended, so that order is the chronological one. (Span times are
 * anchored to `Date.now()` when each span starts, so two spans' timestamps can disagree with their
 * real order by up to a millisecond; delivery makes the timestamps follow this order.) Token usage
 * of a turn (the spans of one trace) is summed into one `token_usage` action, placed and timed at
 * the end of the turn's last span that reported usage: two turns in one export stay two lines, as
 * they were two turns. Spans of no conversation are ignored. Pure: no I/O.
 */
export function toConversationPlans(spans: readonly ReadableSpan[], options: MappingOptions): MappingResult {
  const plans: ConversationPlan[] = [];
  const dropped: DroppedSpan[] = [];
  for (const [conversationId, group] of groupByConversation(spans)) {
    const ordered: OrderedItem[] = [];
    const usageByTurn = new Map<string, TurnUsage>();
    let earliestStart: HrTime | undefined;

    const readable: ReadableSpan[] = [];
    group.spans.forEach((span, index) => {
      const endOrder = group.endOrders[index] as number;
      // Each span alone: one that cannot be read is dropped and reported, never its batch.
      try {
        const problem = unreadable(span);
        if (problem !== undefined) {
          dropped.push({ conversationId, spanName: spanName(span), reason: problem });
          return;
        }
        const mapper = MAPPERS.get(span.attributes[ATTR_AGENTSIGHT_SPAN_KIND]);
        const mapped = mapper?.(span, conversationId, options);
        if (typeof mapped === 'string') {
          dropped.push({ conversationId, spanName: spanName(span), reason: mapped });
          return;
        }
        const tokens = tokenUsageOf(span.attributes);
        if (tokens !== undefined) addTurnUsage(usageByTurn, span, endOrder, tokens);
        if (Array.isArray(mapped)) for (const item of mapped) ordered.push({ item, endOrder });
        else if (mapped !== undefined) ordered.push({ item: mapped as PlannedItem, endOrder });
        readable.push(span);
        if (earliestStart === undefined || toMicroseconds(span.startTime) < toMicroseconds(earliestStart)) {
          earliestStart = span.startTime;
        }
      } catch (error) {
        dropped.push({ conversationId, spanName: spanName(span), reason: `it could not be read (${String(error)})` });
      }
    });
    if (earliestStart === undefined) continue;

    for (const turn of usageByTurn.values()) ordered.push(tokenUsageItem(conversationId, turn));

    // Stable: an item and the usage of the same span keep the item first.
    ordered.sort((x, y) => x.endOrder - y.endOrder);
    // Spans of initializeConversation alone: the record says is_used false and goes on its own.
    const initializeOnly = readable.every(
      (span) => span.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE,
    );
    plans.push({
      conversationId,
      ...(initializeOnly ? { initializeOnly } : {}),
      record: conversationRecord(conversationId, readable, earliestStart, options, !initializeOnly),
      // An initialising record is another request than the turn's (is_used differs): its own key.
      recordIdempotencyKey: `${initializeOnly ? 'initialize' : 'conversation'}-${shortHash(conversationId)}`,
      items: ordered.map((o) => o.item),
    });
  }
  return { plans, dropped };
}
