import type { AgentSightExporterOptions } from '../api/config';

/** Options of `AgentSightClient`: the connection options of the exporter. */
export type AgentSightClientOptions = Pick<
  AgentSightExporterOptions,
  'apiKey' | 'endpoint' | 'timeoutMillis' | 'maxRetries' | 'retryDelayMillis' | 'headers'
>;

/** A conversation named by the caller's string id, or by AgentSight's integer primary key. */
export type ConversationRef = string | number;

/** Feedback sentiments (agentsight-api.md §5.4). */
export type Sentiment = 'positive' | 'neutral' | 'negative';

/** A JSON object as the API returns it. */
export type ApiObject = Record<string, unknown>;

/** Fields `updateConversation` may change (§3.13); at least one. */
export interface ConversationUpdate {
  /** A new name (trimmed, at most 255 characters). */
  name?: string;
  /** Marked (flagged for review) or not. */
  isMarked?: boolean;
  /** The end user's id. */
  customerId?: string;
  /** `desktop`, `mobile` or `tablet`. */
  device?: string;
  /** The conversation's language (e.g. `en`). */
  language?: string;
  /** Replaces the stored metadata. */
  metadata?: Record<string, unknown>;
}

/** What `lookupConversation` answers (§3.10). */
export interface ConversationLookup {
  /** AgentSight's primary key of the conversation. */
  id: number;
  /** Its string id, as given. */
  conversation_id: string;
}

/** Filters of `listConversations` (§3.7); booleans are sent as `true`/`false`. */
export interface ConversationFilters {
  /** Conversations with this string id. */
  conversationId?: string;
  /** Of this end user. */
  customerId?: string;
  /** From this IP address. */
  customerIpAddress?: string;
  /** Whose name contains this. */
  name?: string;
  /** In this language. */
  language?: string;
  /** On this device (`desktop`, `mobile`, `tablet`). */
  device?: string;
  /** With an action of this name. */
  actionName?: string;
  /** With a message containing this text. */
  messageContains?: string;
  /** With (or without) messages. */
  hasMessages?: boolean;
  /** Marked (or not). */
  isMarked?: boolean;
  /** Soft-deleted ones too. */
  includeDeleted?: boolean;
  /** With (or without) feedback. */
  hasFeedback?: boolean;
  /** With feedback of this sentiment. */
  feedbackSentiment?: Sentiment;
  /** With feedback from this source. */
  feedbackSource?: 'customer' | 'platform';
  /** Started at or after this time. */
  startedAtAfter?: Date | string;
  /** Started at or before this time. */
  startedAtBefore?: Date | string;
  /** `key:value,key2:value2`; dotted keys reach into nested metadata. */
  metadata?: string;
  /** Results per page, 1 to 100. Default 100. */
  pageSize?: number;
}

/** An answer of the API that is an error: the status and the API's text (the key redacted). */
export class AgentSightApiError extends Error {
  /** Always `AgentSightApiError`. */
  override readonly name = 'AgentSightApiError';
  constructor(
    /** HTTP status, or 0 when no answer came (then `code` says why). */
    readonly status: number,
    message: string,
    /**
     * Why no usable answer came: a transport error code (ECONNREFUSED, REQUEST_TIMEOUT, ...),
     * ANSWER_TOO_LARGE (the body passed the cap and was not read), or ANSWER_NOT_JSON (a success
     * whose body is not the JSON object the API promises).
     */
    readonly code?: string,
  ) {
    super(message);
  }
}
