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
  name?: string;
  isMarked?: boolean;
  customerId?: string;
  device?: string;
  language?: string;
  metadata?: Record<string, unknown>;
}

/** Filters of `listConversations` (§3.7); booleans are sent as `true`/`false`. */
export interface ConversationFilters {
  conversationId?: string;
  customerId?: string;
  customerIpAddress?: string;
  name?: string;
  language?: string;
  device?: string;
  actionName?: string;
  messageContains?: string;
  hasMessages?: boolean;
  isMarked?: boolean;
  includeDeleted?: boolean;
  hasFeedback?: boolean;
  feedbackSentiment?: Sentiment;
  feedbackSource?: 'customer' | 'platform';
  startedAtAfter?: Date | string;
  startedAtBefore?: Date | string;
  /** `key:value,key2:value2`; dotted keys reach into nested metadata. */
  metadata?: string;
  /** Results per page, 1 to 100. Default 100. */
  pageSize?: number;
}

/** An answer of the API that is an error: the status and the API's text (the key redacted). */
export class AgentSightApiError extends Error {
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
