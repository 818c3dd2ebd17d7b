import { type Attributes, type Context, context, diag, SpanKind } from '@opentelemetry/api';
import { type Attachment, recordAttachments } from '../attachments';
import { boundedIdentifier } from '../common/identifier';
import { nonBlankText } from '../common/text';
import { truncate } from '../common/truncate';
import {
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
  ATTR_AGENTSIGHT_SPAN_KIND,
  ATTR_AGENTSIGHT_USAGE_EMBEDDING_TOKENS,
  ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from '../semconv/attributes';
import {
  AGENTSIGHT_FEEDBACK_SENTIMENT_VALUES,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
  AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS,
  AGENTSIGHT_SPAN_KIND_VALUE_BUTTON,
  AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK,
  AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE,
  AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE,
  AGENTSIGHT_SPAN_KIND_VALUE_TOKEN_USAGE,
  SPAN_NAME_AGENT_MESSAGE,
  SPAN_NAME_ATTACHMENTS,
  SPAN_NAME_BUTTON,
  SPAN_NAME_FEEDBACK,
  SPAN_NAME_HUMAN_MESSAGE,
  SPAN_NAME_INITIALIZE,
  SPAN_NAME_TOKEN_USAGE,
} from '../semconv/values';
import { conversationAttributes, metadataJson } from './conversation-attributes';
import { activeConversation, type ConversationAttributes } from './conversation-context';
import { maskFor, maskText } from './masking';
import type { ButtonClick, ConversationFields, Feedback, Metadata, TokenUsage } from './options';
import { resolveMaxValueLength, toBoundedText } from './serialize';
import { currentTracer } from './tracer';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

type Sender = typeof AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER | typeof AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT;

/**
 * Records one moment of a conversation as a zero-length span. A span of its own (rather than an
 * event on the turn's span) reaches the batch processor the moment it happens, so it is exported
 * no later than anything that follows it, even when the turn is exported across several batches.
 */
function recordMoment(name: string, conversation: ConversationAttributes, own: Attributes, parent: Context): void {
  const attributes: Attributes = { ...conversation, ...own };
  currentTracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent).end();
}

/**
 * Records a message in `conversation`. Blank text is not a message AgentSight accepts, so it is
 * skipped with a warning.
 */
export function recordMessage(
  conversation: ConversationAttributes,
  parent: Context,
  sender: Sender,
  content: unknown,
  metadata: unknown,
  maxValueLength: number,
  attachments?: unknown,
): void {
  const text = toBoundedText(content, maxValueLength, maskFor('message.content'));
  if (text === undefined || text.trim() === '') {
    log.warn(`an empty ${sender} message was not recorded`);
    return;
  }
  const own: Attributes = {
    [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE,
    [ATTR_AGENTSIGHT_MESSAGE_SENDER]: sender,
    [ATTR_AGENTSIGHT_MESSAGE_CONTENT]: text,
  };
  if (attachments !== undefined && attachments !== null) {
    own[ATTR_AGENTSIGHT_ATTACHMENTS] = describeAttachments(`the ${sender} message`, attachments);
  }
  const metadataText = metadataJson(metadata, maxValueLength, maskFor('message.metadata'));
  if (metadataText !== undefined) own[ATTR_AGENTSIGHT_MESSAGE_METADATA] = metadataText;
  recordMoment(
    sender === AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER ? SPAN_NAME_HUMAN_MESSAGE : SPAN_NAME_AGENT_MESSAGE,
    conversation,
    own,
    parent,
  );
}

/**
 * Takes the files into the pending store and returns their description for the span (never the
 * bytes). What cannot be taken is described as dropped (the exporter counts it) and logged here,
 * where the caller's mistake can be seen.
 */
function describeAttachments(owner: string, attachments: unknown): string {
  const { descriptors, problems } = recordAttachments(attachments);
  if (problems.length > 0) {
    log.warn(
      `attachments of ${owner} not recorded: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
    );
  }
  return JSON.stringify(descriptors);
}

/**
 * Runs `record` with the active conversation, or warns that there is none. Never throws:
 * these functions are called from the user's code.
 */
function inActiveConversation(what: string, record: (conversation: ConversationAttributes) => void): void {
  try {
    const conversation = activeConversation();
    if (conversation === undefined) {
      log.warn(`${what} was called outside a tracked conversation; nothing was recorded`);
      return;
    }
    record(conversation);
  } catch (error) {
    log.warn(`${what} could not record`, error);
  }
}

/**
 * Records the user's message in the active conversation.
 *
 * @param content - the message text
 * @param metadata - extra facts about the message
 * @param attachments - files the user sent with it: delivered after the message, linked to it
 *   (the span carries only their names, sizes, types and hashes)
 */
export function trackHumanMessage(content: string, metadata?: Metadata, attachments?: readonly Attachment[]): void {
  inActiveConversation('trackHumanMessage', (conversation) =>
    recordMessage(
      conversation,
      context.active(),
      AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
      content,
      metadata,
      resolveMaxValueLength(undefined),
      attachments,
    ),
  );
}

/**
 * Records the agent's message in the active conversation.
 *
 * @param content - the message text
 * @param metadata - extra facts about the message
 * @param attachments - files the agent sent with it: delivered after the message, linked to it
 */
export function trackAgentMessage(content: string, metadata?: Metadata, attachments?: readonly Attachment[]): void {
  inActiveConversation('trackAgentMessage', (conversation) =>
    recordMessage(
      conversation,
      context.active(),
      AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT,
      content,
      metadata,
      resolveMaxValueLength(undefined),
      attachments,
    ),
  );
}

/** Who sent files tracked on their own, and what to say of them. */
export interface AttachmentsOptions {
  /** Default `end_user`. */
  sender?: 'end_user' | 'agent';
  /** Extra facts about the upload. */
  metadata?: Metadata;
}

/**
 * Records files in the active conversation that belong to no message (the Python SDK's
 * `track_attachments`). To attach files to a message, pass them to {@link trackHumanMessage} or
 * {@link trackAgentMessage} instead. Limits: 25 MiB per file, 10 files per call, 64 MiB held at
 * once before hand-over (`configureAgentSight({ pendingAttachmentBytes })`); what exceeds them is
 * dropped, logged and counted, never thrown.
 */
export function trackAttachments(attachments: readonly Attachment[], options?: AttachmentsOptions): void {
  inActiveConversation('trackAttachments', (conversation) => {
    const sender =
      options?.sender === 'agent' ? AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT : AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER;
    const own: Attributes = {
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS,
      [ATTR_AGENTSIGHT_MESSAGE_SENDER]: sender,
      [ATTR_AGENTSIGHT_ATTACHMENTS]: describeAttachments('trackAttachments', attachments),
    };
    const metadataText = metadataJson(options?.metadata, resolveMaxValueLength(undefined), maskFor('message.metadata'));
    if (metadataText !== undefined) own[ATTR_AGENTSIGHT_MESSAGE_METADATA] = metadataText;
    recordMoment(SPAN_NAME_ATTACHMENTS, conversation, own, context.active());
  });
}

/**
 * Records a button click in the active conversation. `event`, `label` and `value` must be
 * non-blank (AgentSight requires all three); otherwise the click is skipped with a warning.
 */
export function trackButton(click: ButtonClick): void {
  inActiveConversation('trackButton', (conversation) => {
    const limit = resolveMaxValueLength(undefined);
    const event = nonBlankText(click?.event);
    const label = nonBlankText(click?.label);
    const value = nonBlankText(click?.value);
    if (event === undefined || label === undefined || value === undefined) {
      log.warn('trackButton needs a non-blank event, label and value; the click was not recorded');
      return;
    }
    const own: Attributes = {
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_BUTTON,
      [ATTR_AGENTSIGHT_BUTTON_EVENT]: maskText(truncate(event, limit), 'button.event'),
      [ATTR_AGENTSIGHT_BUTTON_LABEL]: maskText(truncate(label, limit), 'button.label'),
      [ATTR_AGENTSIGHT_BUTTON_VALUE]: toBoundedText(value, limit, maskFor('button.value')) as string,
    };
    const metadataText = metadataJson(click.metadata, limit, maskFor('button.metadata'));
    if (metadataText !== undefined) own[ATTR_AGENTSIGHT_BUTTON_METADATA] = metadataText;
    recordMoment(SPAN_NAME_BUTTON, conversation, own, context.active());
  });
}

/** A count as AgentSight takes it: a non-negative integer, anything else counts as 0. */
function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/**
 * Records token usage in the active conversation. The exporter sums all usage of a conversation
 * in one export (this and that read from LLM instrumentation spans) into one `token_usage` action.
 */
export function trackTokenUsage(usage: TokenUsage): void {
  inActiveConversation('trackTokenUsage', (conversation) => {
    const prompt = tokenCount(usage?.promptTokens);
    const completion = tokenCount(usage?.completionTokens);
    const total = tokenCount(usage?.totalTokens);
    const embedding = tokenCount(usage?.embeddingTokens);
    if (prompt + completion + total + embedding === 0) return;
    const own: Attributes = {
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_TOKEN_USAGE,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: prompt,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: completion,
    };
    if (total > 0) own[ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS] = total;
    if (embedding > 0) own[ATTR_AGENTSIGHT_USAGE_EMBEDDING_TOKENS] = embedding;
    recordMoment(SPAN_NAME_TOKEN_USAGE, conversation, own, context.active());
  });
}

const SENTIMENTS: ReadonlySet<unknown> = new Set(AGENTSIGHT_FEEDBACK_SENTIMENT_VALUES);

/** AgentSight's limit for a feedback comment (§3.6). */
const MAX_COMMENT_LENGTH = 5_000;

/**
 * Records the end user's feedback on the active conversation. It is delivered after the
 * conversation's record, linked to it (the Python SDK sends feedback only through its manager;
 * `AgentSightClient.submitFeedback` does that outside a turn). An unknown sentiment is skipped
 * with a warning; a comment is cut to AgentSight's 5000 characters.
 */
export function trackFeedback(feedback: Feedback): void {
  inActiveConversation('trackFeedback', (conversation) => {
    const sentiment = feedback?.sentiment;
    if (!SENTIMENTS.has(sentiment)) {
      log.warn('trackFeedback needs a sentiment of positive, neutral or negative; the feedback was not recorded');
      return;
    }
    const own: Attributes = {
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK,
      [ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT]: sentiment,
    };
    const limit = Math.min(MAX_COMMENT_LENGTH, resolveMaxValueLength(undefined));
    const comment = nonBlankText(feedback.comment);
    if (comment !== undefined) {
      own[ATTR_AGENTSIGHT_FEEDBACK_COMMENT] = toBoundedText(comment, limit, maskFor('feedback.comment')) as string;
    }
    const metadataText = metadataJson(
      feedback.metadata,
      resolveMaxValueLength(undefined),
      maskFor('feedback.metadata'),
    );
    if (metadataText !== undefined) own[ATTR_AGENTSIGHT_FEEDBACK_METADATA] = metadataText;
    recordMoment(SPAN_NAME_FEEDBACK, conversation, own, context.active());
  });
}

/**
 * Marks a possible interaction (for example, the chat widget was loaded) without a turn: the
 * conversation is created in AgentSight with `is_used: false`, at the next hand-over, and is not
 * made the active conversation. A later turn of the same conversation marks it used (its record
 * says `is_used: true`). The Python SDK's `initialize_conversation`; `conversationId` is required.
 *
 * @returns the conversation id as recorded (cut and cleaned like every id), or undefined when
 *   none was given
 */
export function initializeConversation(fields: ConversationFields): string | undefined {
  try {
    const chosen = nonBlankText(fields?.conversationId);
    if (chosen === undefined) {
      log.warn('initializeConversation needs a conversationId; nothing was recorded');
      return undefined;
    }
    const conversationId = boundedIdentifier(chosen);
    const conversation = conversationAttributes(conversationId, fields, undefined, resolveMaxValueLength(undefined));
    recordMoment(
      SPAN_NAME_INITIALIZE,
      conversation,
      { [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE },
      context.active(),
    );
    return conversationId;
  } catch (error) {
    log.warn('initializeConversation could not record', error);
    return undefined;
  }
}
