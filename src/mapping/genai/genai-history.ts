/**
 * What GenAI items were already planned, by conversation: every LLM call repeats the whole
 * history, so each message would otherwise go again with every call. Items have keys derived from
 * their conversation, their position in the history and their content (see `genai-items.ts`), so
 * the same message read from a later call, another batch or another process has the same key.
 * Within a process this memory keeps each key once; across processes and restarts the same keys
 * reach the API as the same `Idempotency-Key` (the bridge's settled-items memory and an API that
 * honours the header keep them once).
 *
 * Bounded: at most `maxConversations` conversations (the least recently seen is forgotten first)
 * and `maxKeysPerConversation` keys each (the oldest forgotten first). Plain data: no I/O, no
 * timers; the exporter and the bridge each own one and hand it to the mapping.
 */
export class GenAiHistory {
  private readonly conversations = new Map<string, Set<string>>();

  constructor(
    private readonly maxConversations = 10_000,
    private readonly maxKeysPerConversation = 2_000,
  ) {}

  /** True the first time `key` is seen in `conversationId` (and remembers it). */
  firstTime(conversationId: string, key: string): boolean {
    let keys = this.conversations.get(conversationId);
    if (keys !== undefined) {
      // Most recently seen last: the first entry of the map is the one to forget.
      this.conversations.delete(conversationId);
      this.conversations.set(conversationId, keys);
      if (keys.has(key)) return false;
    } else {
      keys = new Set();
      this.conversations.set(conversationId, keys);
      if (this.conversations.size > this.maxConversations) {
        const oldest = this.conversations.keys().next().value as string;
        this.conversations.delete(oldest);
      }
    }
    keys.add(key);
    if (keys.size > this.maxKeysPerConversation) keys.delete(keys.values().next().value as string);
    return true;
  }

  /** Conversations remembered now. */
  get size(): number {
    return this.conversations.size;
  }
}

/**
 * Traces already counted as GenAI telemetry that names no conversation (`no_conversation`), so
 * each is counted once however many of its spans arrive, in however many exports. Bounded: the
 * oldest of `max` traces is forgotten first.
 */
export class UnnamedTraces {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 10_000) {}

  /** How many of these traces were not counted before (and remembers them). */
  countNew(traceIds: Iterable<string>): number {
    let count = 0;
    for (const traceId of traceIds) {
      if (this.seen.has(traceId)) continue;
      this.seen.add(traceId);
      if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
      count += 1;
    }
    return count;
  }
}
