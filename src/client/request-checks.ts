import type { ConversationFilters, ConversationRef, ConversationUpdate, Sentiment } from './client-types';

/*
 * The client's arguments checked before anything is sent, and turned into the API's field names:
 * a wrong argument throws where the caller made it, with what was expected.
 */

const SENTIMENTS: ReadonlySet<unknown> = new Set(['positive', 'neutral', 'negative']);
const FEEDBACK_SOURCES: ReadonlySet<unknown> = new Set(['customer', 'platform']);
const MAX_NAME_LENGTH = 255;
const MAX_COMMENT_LENGTH = 5_000;

/** Whether a value is a JSON-like object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A conversation name, trimmed; at most 255 characters once trimmed. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`name must be a string (got ${typeof name})`);
  const trimmed = name.trim();
  if (trimmed === '') throw new TypeError('name must not be blank');
  // Checked after trimming, as it is sent (the Python SDK checks before, quirk 31).
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new RangeError(`name must be at most ${MAX_NAME_LENGTH} characters (got ${trimmed.length})`);
  }
  return trimmed;
}

/** A primary key: a positive integer. */
export function checkPrimaryKey(pk: number): number {
  if (!Number.isInteger(pk) || pk < 1) throw new TypeError(`a primary key is a positive integer (got ${pk})`);
  return pk;
}

/** Throws unless the conversation is a non-blank string id or a number (checked as a key). */
export function checkConversationRef(conversation: ConversationRef): void {
  if (typeof conversation === 'number') checkPrimaryKey(conversation);
  else if (typeof conversation !== 'string' || conversation.trim() === '') {
    throw new TypeError('a conversation is its string id or its primary key (a positive integer)');
  }
}

/** `conversation_id` for a string id, `conversation` for a primary key. */
export function conversationField(conversation: ConversationRef): Record<string, unknown> {
  checkConversationRef(conversation);
  return typeof conversation === 'number' ? { conversation } : { conversation_id: conversation };
}

/** The body of a feedback (§3.6). */
export function feedbackBody(
  conversation: ConversationRef,
  sentiment: Sentiment,
  options: { comment?: string; metadata?: Record<string, unknown> },
): Record<string, unknown> {
  if (!SENTIMENTS.has(sentiment)) {
    throw new TypeError(`sentiment must be positive, neutral or negative (got ${String(sentiment).slice(0, 40)})`);
  }
  const body: Record<string, unknown> = { sentiment, ...conversationField(conversation) };
  if (options.comment !== undefined) {
    if (typeof options.comment !== 'string') throw new TypeError('comment must be a string');
    if (options.comment.length > MAX_COMMENT_LENGTH) {
      throw new RangeError(`comment must be at most ${MAX_COMMENT_LENGTH} characters (got ${options.comment.length})`);
    }
    body.comment = options.comment;
  }
  if (options.metadata !== undefined) {
    if (!isPlainObject(options.metadata)) throw new TypeError('metadata must be an object');
    body.metadata = options.metadata;
  }
  return body;
}

/** The body of an update (§3.13): the given fields, at least one. */
export function updateBody(update: ConversationUpdate): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (update.name !== undefined) body.name = checkName(update.name);
  if (update.isMarked !== undefined) {
    if (typeof update.isMarked !== 'boolean') throw new TypeError('isMarked must be a boolean');
    body.is_marked = update.isMarked;
  }
  for (const [field, key] of [
    ['customerId', 'customer_id'],
    ['device', 'device'],
    ['language', 'language'],
  ] as const) {
    const value = update[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${field} must be a non-blank string`);
    body[key] = value;
  }
  if (update.metadata !== undefined) {
    if (!isPlainObject(update.metadata)) throw new TypeError('metadata must be an object');
    body.metadata = update.metadata;
  }
  if (Object.keys(body).length === 0) throw new TypeError('updateConversation needs at least one field to change');
  return body;
}

/** The list's filters (§3.7) as the API's query parameters. */
const FILTER_PARAMETERS: Readonly<Record<keyof ConversationFilters, string | undefined>> = {
  conversationId: 'conversation_id',
  customerId: 'customer_id',
  customerIpAddress: 'customer_ip_address',
  name: 'name',
  language: 'language',
  device: 'device',
  actionName: 'action_name',
  messageContains: 'message_contains',
  hasMessages: 'has_messages',
  isMarked: 'is_marked',
  includeDeleted: 'include_deleted',
  hasFeedback: 'has_feedback',
  feedbackSentiment: 'feedback_sentiment',
  feedbackSource: 'feedback_source',
  startedAtAfter: 'started_at_after',
  startedAtBefore: 'started_at_before',
  metadata: 'metadata',
  pageSize: undefined,
};

/** The query of `listConversations` (§3.7), without its page number. */
export function listQuery(filters: ConversationFilters): URLSearchParams {
  if (filters.feedbackSentiment !== undefined && !SENTIMENTS.has(filters.feedbackSentiment)) {
    throw new TypeError('feedbackSentiment must be positive, neutral or negative');
  }
  if (filters.feedbackSource !== undefined && !FEEDBACK_SOURCES.has(filters.feedbackSource)) {
    throw new TypeError('feedbackSource must be customer or platform');
  }
  const pageSize = filters.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new RangeError('pageSize must be a whole number from 1 to 100');
  }
  const query = new URLSearchParams({ page_size: String(pageSize) });
  for (const [option, parameter] of Object.entries(FILTER_PARAMETERS)) {
    const value = (filters as Record<string, unknown>)[option];
    if (value === undefined || parameter === undefined) continue;
    query.set(parameter, value instanceof Date ? value.toISOString() : String(value));
  }
  return query;
}
