/**
 * What GenAI items were already planned, by conversation: every LLM call repeats the whole
 * history, so each message would otherwise go again with every call. Items have keys derived from
 * their conversation, their place in the history (position and what precedes it) and their
 * content (see `genai-items.ts`), so the same message read from a later call, another batch or
 * another process has the same key. Within a process this memory keeps each key once; across
 * processes and restarts the same keys reach the API as the same `Idempotency-Key` (the bridge's
 * settled-items memory and an API that honours the header keep them once).
 *
 * Bounded in bytes (issue 30: 10,000 conversations × 2,000 keys as text held 1.6 GB of an app's
 * heap): a key is kept as a 52-bit digest, 8 bytes, in a ring of at most
 * `maxKeysPerConversation` per conversation (the oldest forgotten first: what repeats is the
 * recent history, a turn's own calls); conversations are forgotten least recently seen first
 * when the whole is over `maxBytes`, and each forgotten early is counted in `evicted`: a later
 * call of it that repeats what it had can send it again. Plain data: no I/O, no timers; the
 * exporter and the bridge each own one and hand it to the mapping.
 */
export class GenAiHistory {
  private readonly conversations = new Map<string, KeyRing>();
  private bytes = 0;
  /** Conversations forgotten to stay within `maxBytes`. */
  evicted = 0;

  constructor(
    /** Most bytes this memory holds, as counted (default 16 MiB: ~4,000 conversations at their cap, ~40,000 short ones). */
    readonly maxBytes = 16 * 1024 * 1024,
    private readonly maxKeysPerConversation = 512,
  ) {}

  /** True the first time `key` is seen in `conversationId` (and remembers it). */
  firstTime(conversationId: string, key: string): boolean {
    const digest = digest52(key);
    let ring = this.conversations.get(conversationId);
    if (ring !== undefined) {
      // Most recently seen last: the first entry of the map is the one to forget.
      this.conversations.delete(conversationId);
      this.conversations.set(conversationId, ring);
      if (ring.has(digest)) return false;
    } else {
      ring = new KeyRing(this.maxKeysPerConversation);
      this.conversations.set(conversationId, ring);
      this.bytes += conversationCost(conversationId);
    }
    this.bytes += ring.add(digest);
    while (this.bytes > this.maxBytes && this.conversations.size > 1) this.forgetOldest();
    return true;
  }

  /** Conversations remembered now. */
  get size(): number {
    return this.conversations.size;
  }

  /** Bytes held now, as counted (keys, rings and conversation ids). */
  get heldBytes(): number {
    return this.bytes;
  }

  private forgetOldest(): void {
    const [oldest, ring] = this.conversations.entries().next().value as [string, KeyRing];
    this.conversations.delete(oldest);
    this.bytes -= conversationCost(oldest) + ring.bytes;
    this.evicted += 1;
  }
}

/** A Map entry (with the room a churned hash table keeps), the ring's array; the id as UTF-16. Measured: see the history test. */
const CONVERSATION_OVERHEAD_BYTES = 400;

function conversationCost(conversationId: string): number {
  return CONVERSATION_OVERHEAD_BYTES + 2 * conversationId.length;
}

/** One conversation's recent keys: 52-bit digests in a plain array of doubles (8 bytes each), a ring at its cap. */
class KeyRing {
  private readonly digests: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get bytes(): number {
    return 8 * this.digests.length;
  }

  has(digest: number): boolean {
    return this.digests.includes(digest);
  }

  /** Adds a digest, forgetting the oldest at the cap; returns the bytes the ring grew by. */
  add(digest: number): number {
    if (this.digests.length < this.capacity) {
      this.digests.push(digest);
      return 8;
    }
    this.digests[this.next] = digest;
    this.next = (this.next + 1) % this.capacity;
    return 0;
  }
}

/**
 * A 52-bit digest of a key (exact as a double): two 32-bit FNV-1a lanes, 20 bits of one and 32 of
 * the other. Keys are already digests of what they name (hex hashes or span ids), so this only
 * packs them into 8 bytes; two keys of one conversation collide with odds of about 1 in 10^10
 * at the ring's cap.
 */
function digest52(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return ((b ^ text.length) >>> 12) * 0x1_0000_0000 + (a >>> 0);
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
