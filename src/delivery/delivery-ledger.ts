import { type DeliveryFailure, type DeliveryStats, type DropReason, emptyStats } from './delivery-stats';
import { type DeliveryTicket, isFinalDrop } from './delivery-ticket';

/** Failure examples kept between two reads, for log lines and errors. */
const MAX_FAILURE_EXAMPLES = 20;

/**
 * The one place delivery counts: bytes and items held against the budget, requests on the wire,
 * and every end of an item by its reason, with a few examples for log lines. Every loss goes
 * through {@link drop}, so none is uncounted; every failure message passes the redactor before it
 * is kept.
 */
export class DeliveryLedger {
  private readonly counters: DeliveryStats = emptyStats();
  private failures: DeliveryFailure[] = [];

  /**
   * @param maxQueueBytes - the byte budget {@link fits} checks against
   * @param redact - hides the API key in any text an answer carries (then cuts it)
   */
  constructor(
    private readonly maxQueueBytes: number,
    private readonly redact: (text: string) => string,
  ) {}

  /** Whether `bytes` more fit the budget. */
  fits(bytes: number): boolean {
    return this.counters.queuedBytes + bytes <= this.maxQueueBytes;
  }

  /** Counts bytes (and items) taken into the queue; negative to release them. */
  hold(bytes: number, items: number): void {
    this.counters.queuedBytes += bytes;
    this.counters.queuedItems += items;
  }

  /** Requests on the wire now. */
  get inFlight(): number {
    return this.counters.inFlight;
  }

  /** A request went on the wire (+1) or came back (−1). */
  onWire(change: 1 | -1): void {
    this.counters.inFlight += change;
  }

  /** An item the API accepted. */
  delivered(ticket: DeliveryTicket | undefined, key: string): void {
    this.counters.delivered += 1;
    ticket?.settle('delivered', undefined, key);
  }

  /** A conversation record the API accepted. */
  conversationCreated(): void {
    this.counters.conversationsCreated += 1;
  }

  /** A request that will be tried again. */
  retried(): void {
    this.counters.retried += 1;
  }

  /**
   * An item that will not be delivered, counted under `reason`. A ticketed item dropped for a
   * passing reason is not a loss: its sender still holds it and gets it back.
   */
  drop(
    reason: DropReason,
    conversationId: string,
    label: string,
    message: string,
    ticket?: DeliveryTicket,
    key?: string,
  ): void {
    if (ticket !== undefined && !isFinalDrop(reason)) {
      ticket.settle('returned', undefined, key);
      return;
    }
    this.counters.dropped[reason] += 1;
    const clean = this.redact(message);
    this.example({ conversationId, label, reason, message: clean });
    ticket?.settle('rejected', clean, key);
  }

  /** Drops each of `items` (of one plan) for the same reason. */
  dropItems(
    reason: DropReason,
    conversationId: string,
    items: readonly { readonly label: string; readonly idempotencyKey: string }[],
    message: string,
    ticket?: DeliveryTicket,
  ): void {
    for (const item of items) this.drop(reason, conversationId, item.label, message, ticket, item.idempotencyKey);
  }

  /** Keeps a failure as an example (redacted), up to {@link MAX_FAILURE_EXAMPLES} between reads. */
  example(failure: DeliveryFailure): void {
    if (this.failures.length < MAX_FAILURE_EXAMPLES) {
      this.failures.push({ ...failure, message: this.redact(failure.message) });
    }
  }

  /** Failure examples since the last call. */
  takeFailures(): DeliveryFailure[] {
    const taken = this.failures;
    this.failures = [];
    return taken;
  }

  /** The counters now (a copy), with the limit and circuit state of the moment. */
  snapshot(concurrencyLimit: number, circuit: DeliveryStats['circuit']): DeliveryStats {
    return { ...this.counters, dropped: { ...this.counters.dropped }, concurrencyLimit, circuit };
  }
}
