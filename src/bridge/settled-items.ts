/** How an item a bridge handled ended for good. */
export type SettledOutcome = 'delivered' | 'rejected';

/** Bounds of {@link SettledItems}. */
export interface SettledItemsLimits {
  /** How long an item is remembered, in ms. */
  readonly maxAgeMillis: number;
  /** Most bytes of keys remembered (a key costs its UTF-16 size plus {@link ENTRY_OVERHEAD_BYTES}). */
  readonly maxBytes: number;
}

/**
 * What one remembered key costs on the heap besides its text: its Map entry with the room a hash
 * table keeps, the number it maps to, its place in the queue and the string's header. Measured
 * (see the bridge memory test): issue 30 found 369 bytes a key against 170 counted.
 */
const ENTRY_OVERHEAD_BYTES = 260;

/**
 * The items a bridge has settled for good, by Idempotency-Key, bounded in bytes and in time. A
 * Collector resends a whole batch after a 503 or a restart, including the items the bridge had
 * already delivered; the AgentSight API defines no idempotency, so without this memory those
 * items were stored twice. The oldest is forgotten first; an entry forgotten for bytes before its
 * age is counted, because a resend after that could duplicate.
 *
 * O(1) per operation at the cap: keys wait in a queue of their own (a Map iterated from the front
 * after deletions walks every deleted entry: 1 → 395 µs a call once full, issue 30).
 */
export class SettledItems {
  /**
   * Key → when it settled (seconds since this memory began) × 2, + 1 when rejected: one small
   * integer, no object and no heap number per key.
   */
  private readonly entries = new Map<string, number>();
  /** Keys in the order they settled, with the stamp each had (a later stamp makes an entry stale). */
  private queueKeys: string[] = [];
  private queueStamps: number[] = [];
  private head = 0;
  private readonly origin: number;
  private bytes = 0;
  /** Entries forgotten for room before their age ran out. */
  evictedEarly = 0;

  constructor(
    private readonly limits: SettledItemsLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.origin = clock();
  }

  private secondsOf(stamp: number): number {
    return this.origin / 1000 + Math.floor(stamp / 2);
  }

  /** How `key` ended, if it did within the window. */
  outcomeOf(key: string): SettledOutcome | undefined {
    const stamp = this.entries.get(key);
    if (stamp === undefined) return undefined;
    if (this.clock() - 1000 * this.secondsOf(stamp) > this.limits.maxAgeMillis) return undefined;
    return stamp % 2 === 1 ? 'rejected' : 'delivered';
  }

  /** Remembers that `key` ended for good. */
  remember(key: string, outcome: SettledOutcome): void {
    const now = this.clock();
    const stamp = Math.floor((now - this.origin) / 1000) * 2 + (outcome === 'rejected' ? 1 : 0);
    if (!this.entries.has(key)) this.bytes += cost(key);
    this.entries.set(key, stamp);
    this.queueKeys.push(key);
    this.queueStamps.push(stamp);
    this.forget(now);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted. */
  get heldBytes(): number {
    return this.bytes;
  }

  private forget(now: number): void {
    while (this.head < this.queueKeys.length) {
      const key = this.queueKeys[this.head] as string;
      const stamp = this.queueStamps[this.head];
      if (this.entries.get(key) === stamp) {
        const expired = now - 1000 * this.secondsOf(stamp as number) > this.limits.maxAgeMillis;
        if (!expired && this.bytes <= this.limits.maxBytes) break;
        if (!expired) this.evictedEarly += 1;
        this.entries.delete(key);
        this.bytes -= cost(key);
      }
      // Forgotten now, or stale (the key settled again later and waits further back).
      this.head += 1;
    }
    // Compacted once half of it is behind the head: amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.head);
      this.queueStamps = this.queueStamps.slice(this.head);
      this.head = 0;
    }
  }
}

function cost(key: string): number {
  return key.length * 2 + ENTRY_OVERHEAD_BYTES;
}
