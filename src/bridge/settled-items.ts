/** How an item a bridge handled ended for good. */
export type SettledOutcome = 'delivered' | 'rejected';

/** Bounds of {@link SettledItems}. */
export interface SettledItemsLimits {
  /** How long an item is remembered, in ms. */
  readonly maxAgeMillis: number;
  /** Most bytes of keys remembered (a key costs its UTF-16 size plus {@link ENTRY_OVERHEAD_BYTES}). */
  readonly maxBytes: number;
}

/** What one remembered key costs on the heap besides its text (a Map entry and its number). */
const ENTRY_OVERHEAD_BYTES = 80;

/**
 * The items a bridge has settled for good, by Idempotency-Key, bounded in bytes and in time. A
 * Collector resends a whole batch after a 503 or a restart, including the items the bridge had
 * already delivered; the AgentSight API defines no idempotency, so without this memory those
 * items were stored twice. Kept in insertion order, so the oldest is forgotten first; an entry
 * forgotten for bytes before its age is counted, because a resend after that could duplicate.
 */
export class SettledItems {
  private readonly entries = new Map<string, { readonly at: number; readonly outcome: SettledOutcome }>();
  private bytes = 0;
  /** Entries forgotten for room before their age ran out. */
  evictedEarly = 0;

  constructor(
    private readonly limits: SettledItemsLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  /** How `key` ended, if it did within the window. */
  outcomeOf(key: string): SettledOutcome | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock() - entry.at > this.limits.maxAgeMillis) return undefined;
    return entry.outcome;
  }

  /** Remembers that `key` ended for good. */
  remember(key: string, outcome: SettledOutcome): void {
    const now = this.clock();
    if (this.entries.delete(key)) this.bytes -= cost(key);
    this.entries.set(key, { at: now, outcome });
    this.bytes += cost(key);
    this.forget(now);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.entries.size;
  }

  private forget(now: number): void {
    for (const [key, entry] of this.entries) {
      const expired = now - entry.at > this.limits.maxAgeMillis;
      if (!expired && this.bytes <= this.limits.maxBytes) break;
      if (!expired) this.evictedEarly += 1;
      this.entries.delete(key);
      this.bytes -= cost(key);
    }
  }
}

function cost(key: string): number {
  return key.length * 2 + ENTRY_OVERHEAD_BYTES;
}
