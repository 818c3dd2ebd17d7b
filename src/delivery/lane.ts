import type { JsonObject, UploadFile } from '../mapping/payloads';
import type { DeliveryTicket } from './delivery-ticket';

/** One request waiting its turn. */
export interface QueuedRequest {
  readonly path: string;
  /** The body as JSON text, without the backend id (added when it is known). */
  readonly json: string;
  readonly idempotencyKey: string;
  readonly label: string;
  /** What it costs in the byte budget. */
  readonly bytes: number;
  readonly queuedAt: number;
  /** Transient failures counted against `maxRetries`. */
  failures: number;
  /** The hand-over it came with, when its sender waits for its end (the bridge). */
  readonly ticket?: DeliveryTicket;
  /** Its timestamp in µs after the monotonic step, and the conversation's before it (undone by a cancel). */
  readonly stampedMicros?: number;
  readonly previousMicros?: number;
  /** Attachments: the files, and the key of the message they belong to (if any). */
  readonly upload?: { readonly fields: JsonObject; files: readonly UploadFile[]; readonly linkedTo?: string };
}

/** What is remembered of a conversation between its lanes. */
export interface ConversationMemory {
  backendId: number | undefined;
  /** Timestamp of the last item queued, in µs: the next one is never earlier. */
  lastMicros: number;
}

/**
 * One conversation's waiting work, in order: its record until created, then its items, one
 * request on the wire at a time. A lane knows its order and its state; what it costs in the byte
 * budget is counted by the {@link LaneTable} that owns it.
 */
export class Lane {
  /** Whether the record has been delivered (or released) in this lane's lifetime. */
  recordDone: boolean;
  readonly items: QueuedRequest[] = [];
  /** Index of the first item not yet delivered or dropped. */
  head = 0;
  /** Whether any item was ever queued behind the record. */
  hadItems = false;
  /** A request of this lane is on the wire: strict order allows one at a time. */
  busy = false;
  /** Waiting in the schedule (ready, starting or delayed). */
  scheduled = false;
  /** Not to be sent before this time (a retry's backoff). */
  notBefore = 0;
  /** The last message delivered and the id its answer gave: files sent after it link to it. */
  lastMessage: { readonly key: string; readonly id: number | undefined } | undefined;

  /**
   * @param id - the lane: the conversation id, or a separate one for an initialising record
   * @param record - the create request, sent first while the backend id is unknown
   */
  constructor(
    readonly id: string,
    readonly conversationId: string,
    readonly memory: ConversationMemory,
    readonly record: QueuedRequest,
  ) {
    this.recordDone = memory.backendId !== undefined;
  }

  /** Items queued and not yet delivered or dropped (the one on the wire included). */
  get pending(): number {
    return this.items.length - this.head;
  }

  /** Whether this lane only initialises its conversation (`initializeConversation`). */
  get isInitializing(): boolean {
    return this.id !== this.conversationId;
  }

  /**
   * Whether the record is sent with no item behind it: an initialising lane, or a turn that
   * recorded nothing but its conversation. A lane whose items were all dropped (expired, refused)
   * does not send its record alone.
   */
  sendsRecordAlone(): boolean {
    return this.isInitializing || !this.hadItems;
  }

  /** The request to send next, or undefined when there is none. A record goes only with its items. */
  next(): QueuedRequest | undefined {
    if (!this.recordDone) return this.pending > 0 || this.sendsRecordAlone() ? this.record : undefined;
    return this.items[this.head];
  }

  /** Whether nothing is left to send (a record whose items all went is not sent alone). */
  isFinished(): boolean {
    return this.pending === 0 && (this.recordDone || !this.sendsRecordAlone());
  }

  /** Index of the first item not on the wire: what a drop or a cancel may take. */
  firstWaiting(): number {
    return this.head + (this.busy && this.recordDone ? 1 : 0);
  }

  /** The bytes this lane holds in the budget, counted from what it holds. */
  heldBytes(): number {
    let bytes = this.recordDone ? 0 : this.record.bytes;
    for (let i = this.head; i < this.items.length; i++) bytes += (this.items[i] as QueuedRequest).bytes;
    return bytes;
  }

  /** Moves past the first item and returns it; reclaims the sent prefix now and then. */
  shift(): QueuedRequest | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head += 1;
    // Reclaim the delivered prefix now and then, so a long-lived lane does not grow forever.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
}
