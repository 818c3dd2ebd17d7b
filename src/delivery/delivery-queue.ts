import { type BackoffPolicy, isUnreachableError } from '../api/retry';
import type { Transport } from '../api/transport';
import type { ConversationPlan } from '../mapping/payloads';
import { AdaptiveLimit } from './adaptive-limit';
import { admitItems, QUEUE_FULL } from './admission';
import { CircuitBreaker } from './circuit-breaker';
import { DeliveryLedger } from './delivery-ledger';
import type { DeliveryFailure, DeliveryStats } from './delivery-stats';
import type { DeliveryTicket } from './delivery-ticket';
import { Expiry } from './expiry';
import { FlushWaiters } from './flush-waiters';
import type { Lane, QueuedRequest } from './lane';
import { LaneSchedule } from './lane-schedule';
import { LaneTable } from './lane-table';
import { attempt } from './request-attempt';
import { dropEverything, type SettlementParts, settle } from './settlement';

export { ITEM_OVERHEAD_BYTES } from './lane-table';

/** How delivery behaves. Plain data: it is handed to the delivery thread. */
export interface DeliverySettings {
  /** Deadline of one HTTP request. */
  readonly requestTimeoutMillis: number;
  /** Transient failures of one item, while the API is otherwise healthy, before it is dropped. */
  readonly maxRetries: number;
  /** Waits between retries of one item, and between probes of an unreachable API. */
  readonly backoff: BackoffPolicy;
  /** Most requests on the wire at once (the adaptive limit's ceiling). */
  readonly concurrency: number;
  /** Requests on the wire at once when delivery starts, and again after an outage. */
  readonly initialConcurrency: number;
  /** Budget of the queue: JSON text plus `ITEM_OVERHEAD_BYTES` per item. */
  readonly maxQueueBytes: number;
  /** Items older than this (since they were queued) are dropped. */
  readonly maxItemAgeMillis: number;
  /** Conversations whose backend id is remembered. */
  readonly maxCachedConversations: number;
}

/** Transient failures in a row that open the circuit. */
const CIRCUIT_THRESHOLD = 3;

/**
 * The delivery queue: owns every item from the moment an export hands it over until the API
 * accepts it or it is dropped, counted, for a stated reason. It puts its parts together:
 *
 * - {@link LaneTable}: per conversation, strict order (the record first, its backend id then
 *   remembered; the items in the order they happened; one request at a time), and admission
 *   against the byte budget (`admitItems`): the newest items are refused when full.
 * - {@link LaneSchedule}: across conversations, conversations already started first, then new ones;
 *   a long conversation starves no other; at a deadline, whole conversations go.
 * - {@link AdaptiveLimit} and {@link CircuitBreaker}: how many requests at once, and one probe at a
 *   time in an outage; `Retry-After` pauses the whole endpoint. `settle` applies an answer.
 * - {@link Expiry}: `maxItemAgeMillis`. {@link DeliveryLedger}: every count, every loss by reason.
 *
 * Never throws or rejects: every outcome ends up in {@link stats}.
 */
export class DeliveryQueue {
  private readonly parts: SettlementParts;
  private readonly expiry: Expiry;
  private readonly flushes = new FlushWaiters();

  /** Called after every change of the counters (the delivery thread forwards them). */
  onChange: (() => void) | undefined;

  /**
   * @param redact - hides the API key in any text an answer carries (then cuts it): every failure
   *   message passes through it before it is kept, logged or handed over
   */
  constructor(
    private readonly transport: Transport,
    private readonly settings: DeliverySettings,
    redact: (text: string) => string = (text) => text,
    private readonly clock: () => number = Date.now,
  ) {
    const ledger = new DeliveryLedger(settings.maxQueueBytes, redact);
    const table = new LaneTable(ledger, settings.maxCachedConversations);
    const { initialDelayMillis, maxDelayMillis } = settings.backoff;
    this.parts = {
      ledger,
      table,
      schedule: new LaneSchedule(clock, () => this.pump()),
      limit: new AdaptiveLimit(settings.initialConcurrency, settings.concurrency),
      breaker: new CircuitBreaker(CIRCUIT_THRESHOLD, initialDelayMillis, maxDelayMillis),
      state: { closed: false, finalDeadline: undefined, refusedUntil: 0, refusedMessage: '' },
      retry: settings,
    };
    this.expiry = new Expiry(table, ledger, settings.maxItemAgeMillis, clock, () => this.changed());
  }

  /**
   * Takes over the plans' items; never throws. With a `ticket`, each item's end is also reported
   * to it, and an item that cannot be delivered for a passing reason (full, down, shutting down)
   * is returned to the ticket instead of being dropped.
   */
  enqueue(plans: readonly ConversationPlan[], ticket?: DeliveryTicket): void {
    const now = this.clock();
    const { closed, refusedUntil } = this.parts.state;
    for (const plan of plans) {
      ticket?.add(plan.items.length);
      if (plan.initializeOnly === true) {
        if (!closed && now >= refusedUntil)
          this.enqueuePlan(plan, now, `\u0000initialize ${plan.conversationId}`, ticket);
      } else if (closed || now < refusedUntil) {
        const reason = closed ? 'shutdown' : 'unauthorized';
        const message = closed ? 'the exporter is shut down' : this.parts.state.refusedMessage;
        this.parts.ledger.dropItems(reason, plan.conversationId, plan.items, message, ticket);
      } else this.enqueuePlan(plan, now, plan.conversationId, ticket);
    }
    this.pump();
    this.changed();
  }

  /**
   * Resolves when everything queued now and later is delivered or dropped, or at `deadline`
   * (epoch ms). With `final` (shutdown), an unreachable API fails at once and whatever is left at
   * the deadline is dropped as `shutdown`. Never rejects.
   */
  flush(deadline: number, final: boolean): Promise<void> {
    if (final) {
      this.parts.state.finalDeadline = deadline;
      const cause = this.parts.breaker.cause;
      if (cause !== undefined && isUnreachableError(cause)) {
        dropEverything(this.parts, 'shutdown', `the API could not be reached (${cause})`);
        this.checkFlushes();
      }
      // Waiting out a backoff longer than the time left would only turn into a drop.
      this.parts.schedule.hurryDelayed(this.clock());
      this.parts.schedule.wakeUp();
    }
    if (this.isIdle()) return Promise.resolve();
    return this.flushes.add(Math.max(0, deadline - this.clock()), () => {
      if (!final) return;
      dropEverything(this.parts, 'shutdown', 'still queued when shutdown ran out of time');
      this.checkFlushes();
    });
  }

  /** The counters now (a copy). */
  stats(): DeliveryStats {
    return this.parts.ledger.snapshot(this.parts.limit.current, this.parts.breaker.status);
  }

  /** Failure examples since the last call (at most 20). */
  takeFailures(): DeliveryFailure[] {
    return this.parts.ledger.takeFailures();
  }

  /** Stops sending: what is queued is dropped as `shutdown`; requests on the wire finish or fail. */
  close(): void {
    dropEverything(this.parts, 'shutdown', 'the exporter shut down');
    this.parts.state.closed = true;
    this.parts.schedule.stop();
    this.expiry.stop();
    this.flushes.resolveAll();
  }

  /**
   * Gives the ticket's waiting items back to its sender (the bridge answers 503 and the Collector
   * keeps them): they leave the queue uncounted. Requests on the wire end on their own.
   */
  cancel(ticket: DeliveryTicket): void {
    this.parts.table.cancel(ticket);
    this.changed();
  }

  /**
   * While sending is held back (the circuit waits for its next probe, or a `Retry-After` holds the
   * endpoint): how long until the next attempt, in ms. Undefined when a request may go now, which
   * includes an open circuit whose probe is due: new work is what probes it.
   */
  unavailableFor(): number | undefined {
    return this.parts.breaker.heldFor(this.clock());
  }

  /**
   * The queue's bytes and items counted again from what it holds, for tests of the accounting
   * invariant: after every operation this equals `stats().queuedBytes` / `queuedItems`.
   * @internal
   */
  recount(): { bytes: number; items: number } {
    return this.parts.table.recount();
  }

  /** `lane` separates an initialising record from the conversation's own queue (and its memory). */
  private enqueuePlan(plan: ConversationPlan, now: number, laneId: string, ticket: DeliveryTicket | undefined): void {
    const lane = this.parts.table.get(laneId) ?? this.parts.table.open(plan, laneId, now);
    if (lane === undefined) {
      this.parts.ledger.dropItems('queue_full', plan.conversationId, plan.items, QUEUE_FULL, ticket);
      return;
    }
    admitItems(this.parts.table, this.parts.ledger, lane, plan.items, now, ticket);
    if (!lane.busy && !lane.scheduled) this.parts.schedule.makeReady(lane);
    this.expiry.start();
  }

  /** Starts as many requests as the limit and the circuit allow. */
  private pump(): void {
    if (this.parts.state.closed) return;
    const now = this.clock();
    let allowance = this.parts.breaker.allowance(now, this.parts.ledger.inFlight, this.parts.limit.current);
    while (allowance > 0) {
      const lane = this.parts.schedule.takeReady();
      if (lane === undefined) break;
      // A lane dropped or finished while it waited in line (expired, rejected) is not sent.
      if (!this.parts.table.holds(lane)) continue;
      const request = lane.next();
      if (request === undefined || lane.busy) continue;
      allowance -= 1;
      this.parts.breaker.sent();
      void this.send(lane, request);
    }
    if (this.parts.schedule.hasReady()) {
      const at = this.parts.breaker.resumeAt(now);
      if (at !== undefined) this.parts.schedule.wakeUpAt(at);
    }
  }

  private async send(lane: Lane, request: QueuedRequest): Promise<void> {
    lane.busy = true;
    this.parts.ledger.onWire(1);
    const { requestTimeoutMillis } = this.settings;
    const context = { now: this.clock, closed: () => this.parts.state.closed, ledger: this.parts.ledger };
    const outcome = await attempt(this.transport, lane, request, requestTimeoutMillis, context);
    this.parts.ledger.onWire(-1);
    lane.busy = false;
    try {
      settle(this.parts, lane, request, outcome, this.clock());
    } finally {
      this.requeue(lane);
      this.pump();
      this.changed();
    }
  }

  /** Puts a lane back in line after a request, or forgets it when it has nothing left. */
  private requeue(lane: Lane): void {
    if (!this.parts.table.holds(lane)) return;
    if (lane.isFinished()) this.parts.table.retire(lane);
    else if (lane.notBefore > this.clock() && this.parts.breaker.status === 'closed') this.parts.schedule.delay(lane);
    else this.parts.schedule.makeReady(lane);
  }

  private isIdle(): boolean {
    return this.parts.table.size === 0 && this.parts.ledger.inFlight === 0;
  }

  private checkFlushes(): void {
    if (this.flushes.waiting && this.isIdle()) this.flushes.resolveAll();
  }

  private changed(): void {
    this.checkFlushes();
    this.onChange?.();
  }
}
