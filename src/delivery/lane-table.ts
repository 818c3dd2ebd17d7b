import type { ConversationPlan } from '../mapping/payloads';
import { ITEM_PATHS } from '../mapping/payloads';
import { BoundedMap } from './bounded-map';
import type { DeliveryLedger } from './delivery-ledger';
import type { DropReason } from './delivery-stats';
import type { DeliveryTicket } from './delivery-ticket';
import { type ConversationMemory, Lane, type QueuedRequest } from './lane';

/**
 * Bookkeeping counted per queued item on top of its texts (JSON, Idempotency-Key, label), so that
 * the byte budget bounds the heap and not only payload text. Measured: 668 bytes of live heap per
 * queued item of 214 JSON characters (`bench/delivery-memory.ts`); the texts account for ~300.
 */
export const ITEM_OVERHEAD_BYTES = 384;

/** What a queued request costs in the budget. */
export function costOf(json: string, idempotencyKey: string, label: string): number {
  return json.length + idempotencyKey.length + label.length + ITEM_OVERHEAD_BYTES;
}

/**
 * The lanes that hold queued work, and what is remembered of conversations between them (their
 * backend ids). Every change of what the lanes hold goes through here and is counted in the
 * {@link DeliveryLedger} in the same step: the bytes and items the ledger says are queued are the
 * ones the lanes hold ({@link recount} checks it).
 */
export class LaneTable {
  private readonly lanes = new Map<string, Lane>();
  private readonly memory: BoundedMap<string, ConversationMemory>;

  constructor(
    private readonly ledger: DeliveryLedger,
    maxCachedConversations: number,
  ) {
    this.memory = new BoundedMap(maxCachedConversations);
  }

  /** Lanes with work. */
  get size(): number {
    return this.lanes.size;
  }

  /** The lane with this id, if any. */
  get(id: string): Lane | undefined {
    return this.lanes.get(id);
  }

  /** Whether this lane is still the one holding its id (not finished, dropped or replaced). */
  holds(lane: Lane): boolean {
    return this.lanes.get(lane.id) === lane;
  }

  /** A snapshot of the lanes, safe to change the table while walking it. */
  all(): Lane[] {
    return [...this.lanes.values()];
  }

  /**
   * Opens a lane for a plan: its record is held in the budget unless the conversation's backend id
   * is remembered. Undefined when the record does not fit.
   * @param id - the conversation id, or a separate lane for an initialising record
   */
  open(plan: ConversationPlan, id: string, now: number): Lane | undefined {
    const remembered = id === plan.conversationId ? this.memory.get(id) : undefined;
    const memory = remembered ?? { backendId: undefined, lastMicros: 0 };
    const json = JSON.stringify(plan.record);
    const record: QueuedRequest = {
      path: ITEM_PATHS.conversation,
      json,
      idempotencyKey: plan.recordIdempotencyKey,
      label: 'the record',
      bytes: costOf(json, plan.recordIdempotencyKey, 'the record'),
      queuedAt: now,
      failures: 0,
    };
    if (memory.backendId === undefined && !this.ledger.fits(record.bytes)) return undefined;
    const lane = new Lane(id, plan.conversationId, memory, record);
    if (!lane.recordDone) this.ledger.hold(record.bytes, 0);
    this.lanes.set(id, lane);
    return lane;
  }

  /** Queues an item at the end of its lane. */
  append(lane: Lane, request: QueuedRequest): void {
    lane.items.push(request);
    lane.hadItems = true;
    this.ledger.hold(request.bytes, 1);
  }

  /** Takes the lane's first item off (delivered or dropped) and returns it. */
  removeHead(lane: Lane): QueuedRequest | undefined {
    const item = lane.shift();
    if (item !== undefined) this.ledger.hold(-item.bytes, -1);
    return item;
  }

  /** The record was created: its id is remembered (not an initialising lane's: a turn sends its own). */
  recordCreated(lane: Lane, backendId: number): void {
    lane.memory.backendId = backendId;
    this.releaseRecord(lane);
    if (!lane.isInitializing) this.memory.set(lane.id, lane.memory);
  }

  /** Forgets a lane with nothing left to send, releasing its record's bytes if still held. */
  retire(lane: Lane): void {
    this.releaseRecord(lane);
    this.lanes.delete(lane.id);
  }

  /**
   * The record was refused for good (or expired): its items cannot be linked and go with it, as
   * `conversation_rejected` (or `max_age`).
   */
  reject(lane: Lane, reason: DropReason, message: string): void {
    this.ledger.example({ conversationId: lane.conversationId, label: lane.record.label, reason, message });
    const why = reason === 'max_age' ? reason : 'conversation_rejected';
    const text = `its conversation was not created: ${message}`;
    while (lane.pending > 0) {
      const item = lane.items[lane.head] as QueuedRequest;
      this.ledger.drop(why, lane.conversationId, item.label, text, item.ticket, item.idempotencyKey);
      this.removeHead(lane);
    }
    this.retire(lane);
  }

  /** Drops everything queued (not what is on the wire) for one reason. */
  dropAll(reason: DropReason, message: string): void {
    for (const lane of this.all()) {
      // A request on the wire settles on its own; everything behind it goes now.
      if (!lane.busy) this.releaseRecord(lane);
      const first = lane.firstWaiting();
      for (const item of lane.items.slice(first)) {
        this.ledger.drop(reason, lane.conversationId, item.label, message, item.ticket, item.idempotencyKey);
        this.ledger.hold(-item.bytes, -1);
      }
      lane.items.length = Math.min(lane.items.length, first);
      if (!lane.busy) this.lanes.delete(lane.id);
    }
  }

  /**
   * Gives the ticket's waiting items back to its sender, uncounted. The conversations' timestamp
   * clocks step back to before the returned items, so that when they come again they keep their
   * own timestamps.
   */
  cancel(ticket: DeliveryTicket): void {
    for (const lane of this.all()) {
      const first = lane.firstWaiting();
      const kept: QueuedRequest[] = [];
      let rewindTo: number | undefined;
      for (const item of lane.items.slice(first)) {
        if (item.ticket !== ticket) {
          kept.push(item);
          continue;
        }
        rewindTo ??= item.previousMicros;
        this.ledger.hold(-item.bytes, -1);
        ticket.settle('returned', undefined, item.idempotencyKey);
      }
      if (rewindTo === undefined) continue;
      lane.items.length = first;
      lane.items.push(...kept);
      const latestKept = Math.max(0, ...kept.map((item) => item.stampedMicros ?? 0));
      lane.memory.lastMicros = Math.max(rewindTo, latestKept);
      if (lane.pending === 0 && !lane.busy) this.retire(lane);
    }
  }

  /** The bytes and items the lanes hold, counted again (the ledger's must equal these). */
  recount(): { bytes: number; items: number } {
    let bytes = 0;
    let items = 0;
    for (const lane of this.lanes.values()) {
      bytes += lane.heldBytes();
      items += lane.pending;
    }
    return { bytes, items };
  }

  private releaseRecord(lane: Lane): void {
    if (lane.recordDone) return;
    this.ledger.hold(-lane.record.bytes, 0);
    lane.recordDone = true;
  }
}
