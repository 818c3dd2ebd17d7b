import { ApiCaller } from './api-caller';
import type {
  AgentSightClientOptions,
  ApiObject,
  ConversationFilters,
  ConversationLookup,
  ConversationRef,
  ConversationUpdate,
  Sentiment,
} from './client-types';
import { AgentSightApiError } from './client-types';
import { checkConversationRef, checkName, feedbackBody, listQuery, updateBody } from './request-checks';

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
  private readonly api: ApiCaller;

  constructor(options: AgentSightClientOptions = {}) {
    this.api = new ApiCaller(options);
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
    const body = feedbackBody(conversation, sentiment, options);
    return this.api.call('POST', '/api/conversation-feedbacks/', body, false);
  }

  /** Renames a conversation (§3.11); the name is trimmed, at most 255 characters. */
  async renameConversation(conversation: ConversationRef, name: string): Promise<ApiObject> {
    const trimmed = checkName(name);
    const pk = await this.primaryKey(conversation);
    return this.api.call('PATCH', `/api/conversations/${pk}/rename/`, { name: trimmed }, true);
  }

  /** Marks or unmarks a conversation (§3.12). */
  async markConversation(conversation: ConversationRef, isMarked: boolean): Promise<ApiObject> {
    if (typeof isMarked !== 'boolean') throw new TypeError('isMarked must be a boolean');
    const pk = await this.primaryKey(conversation);
    return this.api.call('POST', `/api/conversations/${pk}/mark/`, { is_marked: isMarked }, true);
  }

  /** Changes the given fields of a conversation (§3.13); at least one. `metadata` replaces the stored one. */
  async updateConversation(conversation: ConversationRef, update: ConversationUpdate): Promise<ApiObject> {
    const body = updateBody(update);
    const pk = await this.primaryKey(conversation);
    return this.api.call('PATCH', `/api/conversations/${pk}/update/`, body, true);
  }

  /** Soft-deletes a conversation (§3.14); it can still be listed with `includeDeleted`. */
  async deleteConversation(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.api.call('DELETE', `/api/conversations/${pk}/delete/`, undefined, true);
  }

  /** The conversation's detail (§3.8), by primary key or string id (resolved by lookup). */
  async getConversation(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.api.call('GET', `/api/conversations/${pk}/`, undefined, true);
  }

  /** The conversation's attachments, grouped by message (§3.9). */
  async getConversationAttachments(conversation: ConversationRef): Promise<ApiObject> {
    const pk = await this.primaryKey(conversation);
    return this.api.call('GET', `/api/conversations/${pk}/attachments/`, undefined, true);
  }

  /** `{ id, conversation_id }` of a string id (§3.10); rejects with status 404 when there is none. */
  async lookupConversation(conversationId: string): Promise<ConversationLookup> {
    if (typeof conversationId !== 'string' || conversationId.trim() === '') {
      throw new TypeError('lookupConversation needs a non-blank conversation id');
    }
    const found = await this.api.call(
      'GET',
      `/api/conversations/lookup/?conversation_id=${encodeURIComponent(conversationId)}`,
      undefined,
      true,
    );
    if (typeof found.id !== 'number' || !Number.isInteger(found.id)) {
      throw new AgentSightApiError(200, `the lookup of "${conversationId.slice(0, 200)}" answered without an id`);
    }
    return found as unknown as ConversationLookup;
  }

  /**
   * Every conversation that matches `filters` (§3.7), page after page, as an async iterable:
   * `for await (const conversation of client.listConversations({ isMarked: true }))`. Pages are
   * fetched as the iteration reaches them.
   */
  async *listConversations(filters: ConversationFilters = {}): AsyncGenerator<ApiObject, void, undefined> {
    const query = listQuery(filters);
    for (let page = 1; ; page += 1) {
      query.set('page', String(page));
      const answer = await this.api.call('GET', `/api/conversations/?${query}`, undefined, true);
      const results = Array.isArray(answer.results) ? (answer.results as ApiObject[]) : [];
      for (const conversation of results) yield conversation;
      if (answer.next === null || answer.next === undefined || results.length === 0) return;
    }
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.api.close();
  }

  /** A primary key as it is, a string id through the lookup endpoint. */
  private async primaryKey(conversation: ConversationRef): Promise<number> {
    checkConversationRef(conversation);
    if (typeof conversation === 'number') return conversation;
    return (await this.lookupConversation(conversation)).id;
  }
}
