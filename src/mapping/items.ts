import { loggable } from '../common/log-text';
import type { FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
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
  ATTR_AGENTSIGHT_FEEDBACK_COMMENT,
  ATTR_AGENTSIGHT_FEEDBACK_METADATA,
  ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT,
  ATTR_AGENTSIGHT_MESSAGE_CONTENT,
  ATTR_AGENTSIGHT_MESSAGE_METADATA,
  ATTR_AGENTSIGHT_MESSAGE_SENDER,
} from '../semconv/attributes';
import {
  AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
  AGENTSIGHT_SPAN_KIND_VALUE_ACTION,
  AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS,
  AGENTSIGHT_SPAN_KIND_VALUE_BUTTON,
  AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK,
  AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE,
} from '../semconv/values';
import type { MappingOptions } from './options';
import type {
  ActionPayload,
  AttachmentsPayload,
  ButtonPayload,
  FeedbackPayload,
  JsonObject,
  MessagePayload,
  PlannedFile,
  PlannedItem,
} from './payloads';
import { durationMs, errorMessage, jsonObject, jsonOrText, spanKey, text, withTraceLink } from './span-values';
import { toAgentSightTimestamp, toMicroseconds } from './timestamp';

/*
 * One span to its item (message, action, button, feedback, attachments), by its kind.
 */
/** The feedback comment limit of the API (§3.6). */
const MAX_COMMENT_LENGTH = 5_000;

export type SpanMapper = (
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

export function standaloneAttachments(
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
export const MAPPERS: ReadonlyMap<unknown, SpanMapper> = new Map<unknown, SpanMapper>([
  [AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE, messageItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_ACTION, actionItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_BUTTON, buttonItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK, feedbackItem],
  [AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS, standaloneAttachments],
]);

/** A span time that can be written as a timestamp: whole seconds and nanoseconds in range. */
