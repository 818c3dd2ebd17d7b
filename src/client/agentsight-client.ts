import { apiErrorText } from '../api/api-errors';
import { type AgentSightExporterOptions, type ExporterConfig, resolveExporterConfig } from '../api/config';
import { isRetryableError, isRetryableStatus, retryAfterMillis, retryDelayMillis } from '../api/retry';
import { createHttpTransport, type HttpAnswer, type Transport, TransportError } from '../api/transport';
import { redactor } from '../common/log-text';
import { AGENTSIGHT_OTEL_VERSION } from '../version';

/** Options of {@link AgentSightClient}: the connection options of the exporter. */
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

const SENTIMENTS: ReadonlySet<unknown> = new Set(['positive', 'neutral', 'negative']);
const FEEDBACK_SOURCES: ReadonlySet<unknown> = new Set(['customer', 'platform']);
const MAX_NAME_LENGTH = 255;
const MAX_COMMENT_LENGTH = 5_000;
/** Pages of the list can be large; a management answer is never this big. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

function checkName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`name must be a string (got ${typeof name})`);
  const trimmed = name.trim();
  if (trimmed === '') throw new TypeError('name must not be blank');
  // Checked after trimming, as it is sent (the Python SDK checks before, quirk 31).
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new RangeError(`name must be at most ${MAX_NAME_LENGTH} characters (got ${trimmed.length})`);
  }
  return trimmed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * AgentSight's management and read API, typed and promise-based: feedback, rename, mark, update,
 * delete, list (with async iteration over the pages), detail, attachments and lookup. The
 * counterpart of the Python SDK's `ConversationManager` and `AgentSightAPI`, without their
 * quirks (§9): a 204 is a success, 401/403/404 are told apart by `status`, 408/429/5xx and
 * network errors of idempotent calls are retried with backoff and `Retry-After`, a string id is
 * always resolved through the lookup endpoint, and its own requests are never traced.
 *
 * Configuration follows the exporter's rules (`AGENTSIGHT_API_KEY`, `AGENTSIGHT_API_ENDPOINT`);
 * an unusable one makes every call reject with the `AgentSightConfigError` that says what to fix.
 *
 * @example
 * ```ts
 * const client = new AgentSightClient();
 * await client.submitFeedback('conv_5177b72be8b1', 'positive', { comment: 'Spot on' });
 * for await (const conversation of client.listConversations({ isMarked: true })) console.log(conversation.id);
 * ```
 */
export class AgentSightClient {
  private readonly config: ExporterConfig | undefined;
  private readonly configError: Error | undefined;
  private readonly transport: Transport | undefined;
  private readonly redact: (text: string) => string;

  constructor(options: AgentSightClientOptions = {}) {
    let config: ExporterConfig | undefined;
    try {
      config = resolveExporterConfig({ ...options, deliveryThread: false });
    } catch (error) {
      this.configError = error as Error;
    }
    this.config = config;
    this.redact = redactor(config?.apiKey);
    this.transport =
      config === undefined
        ? undefined
        : createHttpTransport(
            config.endpoint,
            {
              ...config.headers,
              authorization: `Api-Key ${config.apiKey}`,
              'user-agent': `agentsight-otel/${AGENTSIGHT_OTEL_VERSION} node/${process.versions.node}`,
            },
            8,
            MAX_ANSWER_BYTES,
          );
  }

  /**
   * Submits feedback on a conversation (§3.6): by string id (`conversation_id`) or primary key
   * (`conversation`), with no lookup. Not retried: the API has no idempotency for it.
   */
  async submitFeedback(
    conversation: ConversationRef,
    sentiment: Sentiment,
    options: { comment?: string; metadata?: Record<string, unknown> } = {},
  ): Promise<ApiObject> {
    if (!SENTIMENTS.has(sentiment)) {
      throw new TypeError(`sentiment must be positive, neutral or negative (got ${String(sentiment).slice(0, 40)})`);
    }
    const body: Record<string, unknown> = { sentiment, ...this.conversationField(conversation) };
    if (options.comment !== undefined) {
      if (typeof options.comment !== 'string') throw new TypeError('comment must be a string');
      if (options.comment.length > MAX_COMMENT_LENGTH) {
        throw new RangeError(
          `comment must be at most ${MAX_COMMENT_LENGTH} characters (got ${options.comment.length})`,
        );
      }
      body.comment = options.comment;
    }
    if (options.metadata !== undefined) {
      if (!isPlainObject(options.metadata)) throw new TypeError('metadata must be an object');
      body.metadata = options.metadata;
    }
    return this.call('POST', '/api/conversation-feedbacks/', body, false);
  }

  /** Renames a conversation (§3.11); the name is trimmed, at most 255 characters. */
  async renameConversation(conversation: ConversationRef, name: string): Promise<ApiObject> {
    const trimmed = checkName(name);
    const pk = await this.primaryKey(conversation);
    return this.call('PATCH', `/api/conversations/${pk}/rename/`, { name: trimmed }, true);
  }

  /** Marks or unmarks a conversation (§3.12). */
  async markConversation(conversation: ConversationRef, isMarked: boolean): Promise<ApiObject> {
    if (typeof isMarked !== 'boolean') throw new TypeError('isMarked must be a boolean');
    const pk = await this.primaryKey(conversation);
    return this.call('POST', `/api/conversations/${pk}/mark/`, { is_marked: isMarked }, true);
  }

  /** Changes the given fields of a conversation (§3.13); at least one. `metadata` replaces the stored one. */
  async updateConversation(conversation: ConversationRef, update: ConversationUpdate): Promise<ApiObject> {
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
    const pk = await this.primaryKey(conversation);
    return this.call('PATCH', `/api/conversations/${pk}/update/`, body, true);
  }

  /** Soft-deletes a conversation (§3.14); it can still be listed with `includeDeleted`. */
  async deleteConversation(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.call('DELETE', `/api/conversations/${pk}/delete/`, undefined, true);
  }

  /** The conversation's detail (§3.8), by primary key or string id (resolved by lookup). */
  async getConversation(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.call('GET', `/api/conversations/${pk}/`, undefined, true);
  }

  /** The conversation's attachments, grouped by message (§3.9). */
  async getConversationAttachments(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.call('GET', `/api/conversations/${pk}/attachments/`, undefined, true);
  }

  /** `{ id, conversation_id }` of a string id (§3.10); rejects with status 404 when there is none. */
  async lookupConversation(conversationId: string): Promise<{ id: number; conversation_id: string }> {
    if (typeof conversationId !== 'string' || conversationId.trim() === '') {
      throw new TypeError('lookupConversation needs a non-blank conversation id');
    }
    const found = await this.call(
      'GET',
      `/api/conversations/lookup/?conversation_id=${encodeURIComponent(conversationId)}`,
      undefined,
      true,
    );
    if (typeof found.id !== 'number' || !Number.isInteger(found.id)) {
      throw new AgentSightApiError(200, `the lookup of "${conversationId.slice(0, 200)}" answered without an id`);
    }
    return found as { id: number; conversation_id: string };
  }

  /**
   * Every conversation that matches `filters` (§3.7), page after page, as an async iterable:
   * `for await (const conversation of client.listConversations({ isMarked: true }))`. Pages are
   * fetched as the iteration reaches them.
   */
  async *listConversations(filters: ConversationFilters = {}): AsyncGenerator<ApiObject, void, undefined> {
    const query = this.listQuery(filters);
    for (let page = 1; ; page += 1) {
      query.set('page', String(page));
      const answer = await this.call('GET', `/api/conversations/?${query}`, undefined, true);
      const results = Array.isArray(answer.results) ? (answer.results as ApiObject[]) : [];
      for (const conversation of results) yield conversation;
      if (answer.next === null || answer.next === undefined || results.length === 0) return;
    }
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.transport?.close() ?? Promise.resolve();
  }

  private listQuery(filters: ConversationFilters): URLSearchParams {
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
    const names: Record<string, string> = {
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
    };
    const query = new URLSearchParams({ page_size: String(pageSize) });
    for (const [option, parameter] of Object.entries(names)) {
      const value = (filters as Record<string, unknown>)[option];
      if (value === undefined) continue;
      query.set(parameter, value instanceof Date ? value.toISOString() : String(value));
    }
    return query;
  }

  /** `conversation_id` for a string id, `conversation` for a primary key. */
  private conversationField(conversation: ConversationRef): Record<string, unknown> {
    if (typeof conversation === 'number') return { conversation: this.checkPrimaryKey(conversation) };
    if (typeof conversation === 'string' && conversation.trim() !== '') return { conversation_id: conversation };
    throw new TypeError('a conversation is its string id or its primary key (a positive integer)');
  }

  private checkPrimaryKey(pk: number): number {
    if (!Number.isInteger(pk) || pk < 1) throw new TypeError(`a primary key is a positive integer (got ${pk})`);
    return pk;
  }

  /** A primary key as it is, a string id through the lookup endpoint. */
  private async primaryKey(conversation: ConversationRef): Promise<number> {
    if (typeof conversation === 'number') return this.checkPrimaryKey(conversation);
    if (typeof conversation !== 'string' || conversation.trim() === '') {
      throw new TypeError('a conversation is its string id or its primary key (a positive integer)');
    }
    return (await this.lookupConversation(conversation)).id;
  }

  /** One call with its retries (idempotent calls only); rejects with an {@link AgentSightApiError}. */
  private async call(method: string, path: string, body: object | undefined, idempotent: boolean): Promise<ApiObject> {
    if (this.config === undefined || this.transport === undefined) throw this.configError as Error;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const policy = {
      initialDelayMillis: this.config.retryDelayMillis,
      maxDelayMillis: Math.max(this.config.retryDelayMillis, 5_000),
      multiplier: 1.5,
      jitter: 0.2,
    };
    for (let attempt = 0; ; attempt++) {
      let answer: HttpAnswer;
      try {
        answer = await this.transport.request(method, path, payload, {}, this.config.timeoutMillis);
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'ERROR';
        const status = error instanceof TransportError ? (error.status ?? 0) : 0;
        const failure = new AgentSightApiError(
          status,
          this.redact(`${method} ${path}: ${(error as Error).message}`),
          code,
        );
        // A refused connection never reached the API: safe to try again even if not idempotent.
        const again = isRetryableError(code) && (idempotent || code === 'ECONNREFUSED');
        if (!again || attempt >= this.config.maxRetries) throw failure;
        await sleep(retryDelayMillis(attempt + 1, policy, undefined, Math.random()));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        const parsed = parseObject(answer.text);
        if (parsed !== undefined) return parsed;
        throw new AgentSightApiError(
          answer.status,
          this.redact(
            `${method} ${path.split('?')[0]}: ${answer.status} with a body that is not a JSON object (${answer.text.length} characters); the API promises one`,
          ),
          'ANSWER_NOT_JSON',
        );
      }
      const failure = new AgentSightApiError(
        answer.status,
        this.redact(`${method} ${path.split('?')[0]}: ${answer.status} ${apiErrorText(answer.text)}`),
      );
      const retryAfter = retryAfterMillis(single(answer.headers['retry-after']), Date.now());
      if (!idempotent || !isRetryableStatus(answer.status) || attempt >= this.config.maxRetries) throw failure;
      await sleep(retryDelayMillis(attempt + 1, policy, retryAfter, Math.random()));
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The answer as an object: `{}` for an empty body (a 204), the parsed object otherwise, or
 * undefined when the body is not a JSON object (an HTML error page behind a proxy, say): that is
 * an error, never a value.
 */
function parseObject(text: string): ApiObject | undefined {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
