import type { DropReason } from './delivery-stats';

/**
 * Drop reasons that are the API's verdict on the item itself (or on its data): final, whoever
 * handed it over. Every other reason is a condition of delivery (full, slow, down, shutting down)
 * that a sender with its own retries, such as an OpenTelemetry Collector in front of the bridge,
 * can wait out: for a ticketed item those return it to the sender instead of dropping it.
 */
const FINAL_REASONS: ReadonlySet<DropReason> = new Set<DropReason>([
  'rejected',
  'conversation_rejected',
  'unreadable_span',
  'attachment_invalid',
  'attachment_over_limit',
  'attachment_over_budget',
  'attachment_unavailable',
]);

/** Whether an item dropped for `reason` is gone for good (else a ticket's sender gets it back). */
export function isFinalDrop(reason: DropReason): boolean {
  return FINAL_REASONS.has(reason);
}

/** How one ticketed item ended. */
export type TicketOutcome = 'delivered' | 'rejected' | 'returned';

/**
 * What became of the items of one hand-over, for a caller that must answer for them (the bridge
 * answers the Collector's request from it). Each item ends exactly once: delivered, rejected (for
 * good, with the API's reason) or returned (not delivered, to be sent again by the caller).
 */
export class DeliveryTicket {
  pending = 0;
  delivered = 0;
  rejected = 0;
  returned = 0;
  /** The first few reasons items were rejected, for the answer's message. */
  readonly rejections: string[] = [];
  private waiters: (() => void)[] = [];

  /** @param onItem - told each item's end, with its Idempotency-Key (the bridge remembers what settled) */
  constructor(private readonly onItem?: (key: string | undefined, outcome: TicketOutcome) => void) {}

  /** Counts items handed over under this ticket. */
  add(items: number): void {
    this.pending += items;
  }

  /** One item's end. */
  settle(outcome: TicketOutcome, message?: string, key?: string): void {
    this.pending -= 1;
    this[outcome] += 1;
    this.onItem?.(key, outcome);
    if (outcome === 'rejected' && message !== undefined && this.rejections.length < 5) this.rejections.push(message);
    if (this.pending === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when every item has ended. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
