import { type BackoffPolicy, isUnreachableError, retryDelayMillis } from '../api/retry';
import type { Transport } from '../api/transport';
import { loggable } from '../common/log-text';
import {
  type ConversationPlan,
  ITEM_PATHS,
  type JsonObject,
  type PlannedItem,
  type UploadFile,
} from '../mapping/payloads';
import { timestampFromMicroseconds } from '../mapping/timestamp';
import { AdaptiveLimit } from './adaptive-limit';
import { classifyAnswer, classifyError, idOf, type Outcome } from './answer-outcome';
import { BoundedMap } from './bounded-map';
import { CircuitBreaker } from './circuit-breaker';
import { type DeliveryFailure, type DeliveryStats, type DropReason, emptyStats } from './delivery-stats';
import { type DeliveryTicket, isFinalDrop } from './delivery-ticket';
import { buildUploadBody } from './upload-body';

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
  /** Budget of the queue: JSON text plus {@link ITEM_OVERHEAD_BYTES} per item. */
  readonly maxQueueBytes: number;
  /** Items older than this (since they were queued) are dropped. */
  readonly maxItemAgeMillis: number;
  /** Conversations whose backend id is remembered. */
  readonly maxCachedConversations: number;
}

/**
 * Bookkeeping counted per queued item on top of its texts (JSON, Idempotency-Key, label), so that
 * the byte budget bounds the heap and not only payload text. Measured: 668 bytes of live heap per
 * queued item of 214 JSON characters (`bench/delivery-memory.ts`); the texts account for ~300.
 */
export const ITEM_OVERHEAD_BYTES = 384;

/** What a queued item costs at the least: when not even this fits, items are refused unread. */
const MIN_ITEM_BYTES = ITEM_OVERHEAD_BYTES + 64;

/** What a queued request costs in the budget. */
function costOf(json: string, idempotencyKey: string, label: string): number {
  return json.length + idempotencyKey.length + label.length + ITEM_OVERHEAD_BYTES;
}

/** Bytes of an upload's files that stay in memory while it is queued (a path is read when sent). */
function heldBytes(files: readonly UploadFile[]): number {
  return files.reduce((sum, f) => sum + (f.source.kind === 'path' ? 0 : f.size), 0);
}

/** Uploads get the Python SDK's deadline for multipart (45 s) at least: they carry megabytes. */
const MIN_UPLOAD_TIMEOUT_MILLIS = 45_000;

/**
 * How far spans' timestamps can disagree with the order they ended in: OTel JS anchors each span
 * to `Date.now()`, in whole milliseconds, when it starts. Within this, delivery order wins.
 */
const CLOCK_SKEW_MICROS = 2_000;

/** Transient failures in a row that open the circuit. */
const CIRCUIT_THRESHOLD = 3;
/** How long the endpoint is left alone after it refused the key. */
const UNAUTHORIZED_PAUSE_MILLIS = 60_000;
/** Failure examples kept between two reads, for log lines and errors. */
const MAX_FAILURE_EXAMPLES = 20;

/** One request waiting its turn. */
interface QueuedRequest {
  readonly path: string;
  /** The body as JSON text, without the backend id (added when it is known). */
  readonly json: string;
  readonly idempotencyKey: string;
  readonly label: string;
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

/** What is remembered of a conversation between its queues. */
interface ConversationMemory {
  backendId: number | undefined;
  /** Timestamp of the last item queued, in µs: the next one is never earlier. */
  lastMicros: number;
}

/** One conversation's waiting work: its record until created, then its items, in order. */
interface ConversationQueue {
  /** The lane: the conversation id, or a separate one for an initialising record. */
  readonly id: string;
  readonly conversationId: string;
  readonly memory: ConversationMemory;
  /** The create request, sent first while the backend id is unknown. */
  readonly record: QueuedRequest;
  /** Whether the record has been delivered in this queue's lifetime (for drop counting). */
  recordDone: boolean;
  readonly items: QueuedRequest[];
  /** Index of the first item not yet delivered or dropped. */
  head: number;
  /** Whether any item was ever queued behind the record. */
  hadItems: boolean;
  /** A request of this conversation is on the wire: strict order allows one at a time. */
  busy: boolean;
  /** Waiting in the ready or delayed set. */
  scheduled: boolean;
  /** Not to be sent before this time (a retry's backoff). */
  notBefore: number;
  /** The last message delivered and the id its answer gave: files sent after it link to it. */
  lastMessage: { readonly key: string; readonly id: number | undefined } | undefined;
}

function pendingItems(queue: ConversationQueue): number {
  return queue.items.length - queue.head;
}

/**
 * Whether a lane's record is sent with no item behind it: an initialising lane
 * (`initializeConversation`), or a turn that recorded nothing but its conversation. A lane whose
 * items were all dropped (expired, refused) does not send its record alone.
 */
function sendsRecordAlone(queue: ConversationQueue): boolean {
  return queue.id !== queue.conversationId || !queue.hadItems;
}

/**
 * The delivery queue: owns every item from the moment an export hands it over until the API
 * accepts it or it is dropped, counted, for a stated reason.
 *
 * - Per conversation, strict order: the record first (its backend id is then cached), then the
 *   items in the order they happened, one request at a time.
 * - Across conversations, as many requests at once as the {@link AdaptiveLimit} allows:
 *   conversations already started first, then new ones, each oldest first. A conversation holds
 *   one slot at a time, so a long one starves no other; at a deadline, whole conversations go.
 * - Transient failures wait with backoff; a {@link CircuitBreaker} turns an outage into one probe
 *   at a time; `Retry-After` pauses the whole endpoint.
 * - Bounded by bytes (`maxQueueBytes`: the newest items are refused when full, so conversations
 *   already queued keep no holes) and by age (`maxItemAgeMillis`).
 *
 * Never throws or rejects: every outcome ends up in {@link stats}.
 */
export class DeliveryQueue {
  private readonly memory: BoundedMap<string, ConversationMemory>;
  private readonly queues = new Map<string, ConversationQueue>();
  /**
   * Conversations waiting for a slot: those whose record is already delivered go first, oldest
   * first, so that at a deadline whole conversations have gone rather than many records without
   * their items (measured before: 8,143 records and 0 of 40,000 items in a 10 s shutdown).
   */
  private readonly ready: ConversationQueue[] = [];
  private readonly starting: ConversationQueue[] = [];
  private readonly delayed = new Set<ConversationQueue>();
  private readonly limit: AdaptiveLimit;
  private readonly breaker: CircuitBreaker;
  private readonly counters: DeliveryStats = emptyStats();
  private failures: DeliveryFailure[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private sweepTimer: NodeJS.Timeout | undefined;
  private flushWaiters: { resolve: () => void; timer: NodeJS.Timeout }[] = [];
  /** Set by a refused key: until then, everything is dropped as `unauthorized`. */
  private refusedUntil = 0;
  private refusedMessage = '';
  /** Set at shutdown: what cannot be delivered by then is dropped instead of waiting. */
  private finalDeadline: number | undefined;
  private closed = false;

  /** Called after every change of the counters (the delivery thread forwards them). */
  onChange: (() => void) | undefined;

  /**
   * @param redact - hides the API key in any text an answer carries (then cuts it): every failure
   *   message passes through it before it is kept, logged or handed over
   */
  constructor(
    private readonly transport: Transport,
    private readonly settings: DeliverySettings,
    private readonly redact: (text: string) => string = (text) => text,
    private readonly clock: () => number = Date.now,
  ) {
    this.memory = new BoundedMap(settings.maxCachedConversations);
    this.limit = new AdaptiveLimit(settings.initialConcurrency, settings.concurrency);
    this.breaker = new CircuitBreaker(
      CIRCUIT_THRESHOLD,
      settings.backoff.initialDelayMillis,
      settings.backoff.maxDelayMillis,
    );
  }

  /**
   * Takes over the plans' items; never throws. With a `ticket`, each item's end is also reported
   * to it, and an item that cannot be delivered for a passing reason (full, down, shutting down)
   * is returned to the ticket instead of being dropped.
   */
  enqueue(plans: readonly ConversationPlan[], ticket?: DeliveryTicket): void {
    const now = this.clock();
    for (const plan of plans) {
      ticket?.add(plan.items.length);
      if (plan.initializeOnly === true) {
        if (!this.closed && now >= this.refusedUntil)
          this.enqueuePlan(plan, now, `\u0000initialize ${plan.conversationId}`, ticket);
        continue;
      }
      if (this.closed || now < this.refusedUntil) {
        const reason = this.closed ? 'shutdown' : 'unauthorized';
        const message = this.closed ? 'the exporter is shut down' : this.refusedMessage;
        for (const item of plan.items)
          this.drop(reason, plan.conversationId, item.label, message, ticket, item.idempotencyKey);
        continue;
      }
      this.enqueuePlan(plan, now, plan.conversationId, ticket);
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
      this.finalDeadline = deadline;
      const cause = this.breaker.cause;
      if (cause !== undefined && isUnreachableError(cause)) {
        this.dropEverything('shutdown', `the API could not be reached (${cause})`);
      }
      // Waiting out a backoff longer than the time left would only turn into a drop.
      for (const queue of this.delayed) queue.notBefore = Math.min(queue.notBefore, this.clock());
      this.wakeUp();
    }
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        resolve,
        timer: setTimeout(
          () => {
            this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
            if (final) this.dropEverything('shutdown', 'still queued when shutdown ran out of time');
            resolve();
          },
          Math.max(0, deadline - this.clock()),
        ),
      };
      // Not unref'd: an application that awaits a flush must still be running when it settles
      // (with nothing else holding the event loop, it would exit in the middle of the await).
      this.flushWaiters.push(waiter);
    });
  }

  /** The counters now (a copy). */
  stats(): DeliveryStats {
    return {
      ...this.counters,
      dropped: { ...this.counters.dropped },
      concurrencyLimit: this.limit.current,
      circuit: this.breaker.status,
    };
  }

  /** Failure examples since the last call (at most {@link MAX_FAILURE_EXAMPLES}). */
  takeFailures(): DeliveryFailure[] {
    const taken = this.failures;
    this.failures = [];
    return taken;
  }

  /** Stops sending: what is queued is dropped as `shutdown`; requests on the wire finish or fail. */
  close(): void {
    this.dropEverything('shutdown', 'the exporter shut down');
    this.closed = true;
    clearTimeout(this.wakeTimer);
    clearInterval(this.sweepTimer);
    this.resolveFlushes();
  }

  /** `lane` separates an initialising record from the conversation's own queue (and its memory). */
  private enqueuePlan(plan: ConversationPlan, now: number, lane: string, ticket: DeliveryTicket | undefined): void {
    let queue = this.queues.get(lane);
    if (queue === undefined) {
      const remembered = lane === plan.conversationId ? this.memory.get(lane) : undefined;
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
      if (memory.backendId === undefined && !this.fits(record.bytes)) {
        for (const item of plan.items) this.refuseFull(plan.conversationId, item, ticket);
        return;
      }
      queue = {
        id: lane,
        conversationId: plan.conversationId,
        memory,
        record,
        recordDone: memory.backendId !== undefined,
        items: [],
        head: 0,
        hadItems: false,
        busy: false,
        scheduled: false,
        notBefore: 0,
        lastMessage: undefined,
      };
      if (!queue.recordDone) this.account(record.bytes, 0);
      this.queues.set(lane, queue);
    }
    for (const item of plan.items) {
      if (!this.fits(MIN_ITEM_BYTES)) {
        // Full: refuse without serialising (during an outage this is most of the traffic).
        this.refuseFull(plan.conversationId, item, ticket);
        continue;
      }
      // Items go out in the order they happened; span clocks can disagree with that order by up
      // to a millisecond, so a timestamp that would step back that little is moved just after the
      // last one. An item much older than the last one is a late arrival (a Collector requeued
      // its batch after a restart): it keeps its own time, which places it where it happened.
      let body = item.body;
      const previousMicros = queue.memory.lastMicros;
      if (!('timestamp' in body) || item.atMicros < queue.memory.lastMicros - CLOCK_SKEW_MICROS) {
        // Feedback carries no timestamp: the API stamps it; its place in the order is enough.
      } else if (item.atMicros <= queue.memory.lastMicros) {
        queue.memory.lastMicros += 1;
        body = { ...body, timestamp: timestampFromMicroseconds(queue.memory.lastMicros) };
      } else {
        queue.memory.lastMicros = item.atMicros;
      }
      const json = JSON.stringify(body);
      const bytes = costOf(json, item.idempotencyKey, item.label) + heldBytes(item.uploads ?? []);
      if (!this.fits(bytes)) {
        // An upload that does not fit goes alone: its message, queued before it, stays.
        this.refuseFull(plan.conversationId, item, ticket);
        continue;
      }
      queue.items.push({
        path: ITEM_PATHS[item.kind],
        json,
        idempotencyKey: item.idempotencyKey,
        label: item.label,
        bytes,
        queuedAt: now,
        failures: 0,
        ...uploadOf(item, body),
        ...(ticket === undefined ? {} : { ticket, stampedMicros: queue.memory.lastMicros, previousMicros }),
      });
      this.account(bytes, 1);
      queue.hadItems = true;
    }
    if (!queue.busy && !queue.scheduled) this.makeReady(queue);
    this.startSweeping();
  }

  /** Drops an item the byte budget has no room for (returned to a ticket's sender instead). */
  private refuseFull(conversationId: string, item: PlannedItem, ticket: DeliveryTicket | undefined): void {
    this.drop('queue_full', conversationId, item.label, 'the delivery queue is full', ticket, item.idempotencyKey);
  }

  private fits(bytes: number): boolean {
    return this.counters.queuedBytes + bytes <= this.settings.maxQueueBytes;
  }

  private account(bytes: number, items: number): void {
    this.counters.queuedBytes += bytes;
    this.counters.queuedItems += items;
  }

  private makeReady(queue: ConversationQueue): void {
    if (queue.scheduled) return;
    queue.scheduled = true;
    (queue.recordDone ? this.ready : this.starting).push(queue);
  }

  /** The next conversation to get a slot: one already started, else the oldest new one. */
  private takeReady(): ConversationQueue | undefined {
    return this.ready.shift() ?? this.starting.shift();
  }

  /**
   * The request a conversation sends next, or undefined when it has none. A record goes only with
   * its items (an initialising lane is its record alone).
   */
  private nextRequest(queue: ConversationQueue): QueuedRequest | undefined {
    if (!queue.recordDone) return pendingItems(queue) > 0 || sendsRecordAlone(queue) ? queue.record : undefined;
    return queue.items[queue.head];
  }

  /** Starts as many requests as the limit and the circuit allow. */
  private pump(): void {
    if (this.closed) return;
    const now = this.clock();
    let allowance = this.breaker.allowance(now, this.counters.inFlight, this.limit.current);
    while (allowance > 0) {
      const queue = this.takeReady();
      if (queue === undefined) break;
      queue.scheduled = false;
      // A lane dropped or finished while it waited in line (expired, rejected) is not sent.
      if (this.queues.get(queue.id) !== queue) continue;
      const request = this.nextRequest(queue);
      if (request === undefined || queue.busy) continue;
      allowance -= 1;
      this.breaker.sent();
      void this.send(queue, request);
    }
    if (this.ready.length > 0 || this.starting.length > 0) {
      const at = this.breaker.resumeAt(now);
      if (at !== undefined) this.wakeUpAt(at);
    }
  }

  private async send(queue: ConversationQueue, request: QueuedRequest): Promise<void> {
    queue.busy = true;
    this.counters.inFlight += 1;
    const isRecord = request === queue.record;
    let outcome: Outcome;
    try {
      const prepared = await this.prepare(queue, request, isRecord);
      const answer =
        prepared === undefined
          ? undefined
          : await this.transport.post(
              request.path,
              prepared.body,
              { 'idempotency-key': request.idempotencyKey, ...prepared.headers },
              prepared.timeoutMillis,
            );
      outcome = answer === undefined ? { kind: 'skipped' } : classifyAnswer(answer, this.clock());
    } catch (error) {
      outcome = this.closed ? { kind: 'cut' } : classifyError(error, this.clock());
    }
    this.counters.inFlight -= 1;
    queue.busy = false;
    try {
      this.settle(queue, request, isRecord, outcome);
    } finally {
      this.requeue(queue);
      this.pump();
      this.changed();
    }
  }

  /**
   * The request's body and headers, built now: the backend id is known only now, and an upload
   * reads its files and links to its message's id now. Undefined when there is nothing to send
   * (every file of an upload was gone; each was counted).
   */
  private async prepare(
    queue: ConversationQueue,
    request: QueuedRequest,
    isRecord: boolean,
  ): Promise<{ body: string | Uint8Array; headers: Record<string, string>; timeoutMillis: number } | undefined> {
    const pk = queue.memory.backendId as number;
    const timeoutMillis = this.settings.requestTimeoutMillis;
    if (isRecord) return { body: request.json, headers: {}, timeoutMillis };
    const upload = request.upload;
    if (upload === undefined)
      return { body: `${request.json.slice(0, -1)},"conversation":${pk}}`, headers: {}, timeoutMillis };
    // Linked only to its own message: when that was not delivered (or its answer had no id), the
    // files go to the conversation on their own rather than to another message, or nowhere.
    const last = queue.lastMessage;
    const messageId = upload.linkedTo !== undefined && last?.key === upload.linkedTo ? last.id : undefined;
    const built = await buildUploadBody(upload.fields, upload.files, pk, messageId);
    if (built.unavailable.length > 0) {
      // Counted once: a retry sends the rest without looking for these again.
      upload.files = upload.files.filter((f) => !built.unavailable.includes(f));
      for (const file of built.unavailable) {
        const label = `attachment "${loggable(file.filename, 60)}"`;
        this.drop('attachment_unavailable', queue.conversationId, label, 'its file could not be read when sent');
      }
    }
    if (built.body === undefined) return undefined;
    return {
      body: built.body,
      headers: { 'content-type': built.contentType },
      timeoutMillis: Math.max(timeoutMillis, MIN_UPLOAD_TIMEOUT_MILLIS),
    };
  }

  private settle(queue: ConversationQueue, request: QueuedRequest, isRecord: boolean, outcome: Outcome): void {
    const now = this.clock();
    if (outcome.kind === 'cut') {
      if (isRecord) this.retire(queue);
      else {
        const why = 'on the wire when shutdown ran out of time';
        this.drop('shutdown', queue.conversationId, request.label, why, request.ticket, request.idempotencyKey);
        this.removeHead(queue);
      }
      return;
    }
    if (outcome.kind === 'skipped') {
      this.removeHead(queue);
      request.ticket?.settle('rejected', 'none of its files could be read', request.idempotencyKey);
      return;
    }
    if (outcome.kind === 'delivered') {
      const wasClosed = this.breaker.status === 'closed';
      this.breaker.succeeded();
      if (!wasClosed) this.afterOutage();
      this.limit.grow(this.counters.inFlight + 1);
      if (isRecord) {
        const id = idOf(outcome.answer.text);
        if (id === undefined) {
          this.rejectConversation(queue, 'rejected', 'the API answered without the conversation id');
          return;
        }
        queue.memory.backendId = id;
        queue.recordDone = true;
        // An initialising record's id is not remembered: the first turn must still send its own.
        if (queue.id === queue.conversationId) this.memory.set(queue.id, queue.memory);
        this.account(-request.bytes, 0);
        this.counters.conversationsCreated += 1;
      } else {
        if (request.path === ITEM_PATHS.message) {
          queue.lastMessage = { key: request.idempotencyKey, id: idOf(outcome.answer.text) };
        }
        this.removeHead(queue);
        this.counters.delivered += 1;
        request.ticket?.settle('delivered', undefined, request.idempotencyKey);
      }
      return;
    }
    if (outcome.kind === 'permanent') {
      this.breaker.succeeded();
      if (outcome.reason === 'unauthorized') {
        this.example({
          conversationId: queue.conversationId,
          label: request.label,
          reason: outcome.reason,
          message: outcome.message,
        });
        this.refusedUntil = now + UNAUTHORIZED_PAUSE_MILLIS;
        this.refusedMessage = outcome.message;
        this.dropEverything('unauthorized', outcome.message);
        return;
      }
      if (isRecord) this.rejectConversation(queue, outcome.reason, outcome.message);
      else {
        this.drop(
          outcome.reason,
          queue.conversationId,
          request.label,
          outcome.message,
          request.ticket,
          request.idempotencyKey,
        );
        this.removeHead(queue);
      }
      return;
    }
    // Transient: the request waits and is tried again.
    if (outcome.overload) this.limit.shrink(now);
    if (outcome.retryAfter !== undefined) this.breaker.pause(now + outcome.retryAfter);
    else this.breaker.failed(now, outcome.code);
    if (this.finalDeadline !== undefined && isUnreachableError(outcome.code)) {
      this.dropEverything('shutdown', `the API could not be reached (${outcome.code})`);
      return;
    }
    // Only failures while the API otherwise answers count against the item: during an outage
    // items wait (bounded by their age), they do not burn their retries.
    if (this.breaker.status === 'closed' && outcome.retryAfter === undefined) {
      request.failures += 1;
      if (request.failures > this.settings.maxRetries) {
        const message = `${outcome.message} (after ${request.failures} tries)`;
        if (isRecord) this.rejectConversation(queue, 'retries_exhausted', message);
        else {
          this.drop(
            'retries_exhausted',
            queue.conversationId,
            request.label,
            message,
            request.ticket,
            request.idempotencyKey,
          );
          this.removeHead(queue);
        }
        return;
      }
    }
    this.counters.retried += 1;
    const delay = retryDelayMillis(request.failures + 1, this.settings.backoff, outcome.retryAfter, Math.random());
    queue.notBefore = now + delay;
  }

  /** Puts a conversation back in line after a request, or forgets it when it has nothing left. */
  private requeue(queue: ConversationQueue): void {
    if (this.queues.get(queue.id) !== queue) return;
    if (pendingItems(queue) === 0 && (queue.recordDone || !sendsRecordAlone(queue))) {
      // Nothing left to send: a record whose items all went (expired, dropped) is not sent alone.
      this.retire(queue);
      return;
    }
    if (queue.notBefore > this.clock() && this.breaker.status === 'closed') {
      queue.scheduled = true;
      this.delayed.add(queue);
      this.wakeUpAt(queue.notBefore);
    } else {
      this.makeReady(queue);
    }
  }

  /** Forgets a lane with nothing left to send, releasing its record's bytes if still held. */
  private retire(queue: ConversationQueue): void {
    if (!queue.recordDone) {
      this.account(-queue.record.bytes, 0);
      queue.recordDone = true;
    }
    this.queues.delete(queue.id);
  }

  /** The API answered again after an outage: start slowly, and stop waiting out backoffs. */
  private afterOutage(): void {
    this.limit.reset();
    for (const queue of this.delayed) {
      queue.scheduled = false;
      this.makeReady(queue);
    }
    this.delayed.clear();
  }

  private removeHead(queue: ConversationQueue): void {
    const item = queue.items[queue.head];
    if (item === undefined) return;
    queue.head += 1;
    this.account(-item.bytes, -1);
    // Reclaim the delivered prefix now and then, so a long-lived queue does not grow forever.
    if (queue.head > 64 && queue.head * 2 > queue.items.length) {
      queue.items.splice(0, queue.head);
      queue.head = 0;
    }
  }

  /** The record was refused for good: its items cannot be linked, and go with it. */
  private rejectConversation(queue: ConversationQueue, reason: DropReason, message: string): void {
    this.example({ conversationId: queue.conversationId, label: queue.record.label, reason, message });
    this.account(-queue.record.bytes, 0);
    while (pendingItems(queue) > 0) {
      const item = queue.items[queue.head] as QueuedRequest;
      const why = reason === 'max_age' ? reason : 'conversation_rejected';
      this.drop(
        why,
        queue.conversationId,
        item.label,
        `its conversation was not created: ${message}`,
        item.ticket,
        item.idempotencyKey,
      );
      this.removeHead(queue);
    }
    this.queues.delete(queue.id);
  }

  /** Drops everything queued (not what is on the wire) for one reason. */
  private dropEverything(reason: DropReason, message: string): void {
    for (const queue of [...this.queues.values()]) {
      // A request on the wire settles on its own; everything behind it goes now.
      const keep = queue.busy && queue.recordDone ? 1 : 0;
      if (!queue.recordDone && !queue.busy) {
        this.account(-queue.record.bytes, 0);
        queue.recordDone = true;
      }
      const first = queue.head + keep;
      for (const item of queue.items.slice(first)) {
        this.drop(reason, queue.conversationId, item.label, message, item.ticket, item.idempotencyKey);
        this.account(-item.bytes, -1);
      }
      queue.items.length = Math.min(queue.items.length, first);
      if (!queue.busy) this.queues.delete(queue.id);
    }
    this.ready.length = 0;
    this.starting.length = 0;
    this.delayed.clear();
    this.checkFlushes();
  }

  private drop(
    reason: DropReason,
    conversationId: string,
    label: string,
    message: string,
    ticket?: DeliveryTicket,
    key?: string,
  ): void {
    if (ticket !== undefined && !isFinalDrop(reason)) {
      // Not a loss: its sender still holds it and will send it again.
      ticket.settle('returned', undefined, key);
      return;
    }
    this.counters.dropped[reason] += 1;
    const clean = this.redact(message);
    this.example({ conversationId, label, reason, message: clean });
    ticket?.settle('rejected', clean, key);
  }

  /**
   * Gives the ticket's waiting items back to its sender (the bridge answers 503 and the Collector
   * keeps them): they leave the queue uncounted. Requests on the wire end on their own. The
   * conversations' timestamp clocks step back to before the returned items, so that when they
   * come again they keep their own timestamps.
   */
  cancel(ticket: DeliveryTicket): void {
    for (const queue of [...this.queues.values()]) {
      const first = queue.head + (queue.busy && queue.recordDone ? 1 : 0);
      const kept: QueuedRequest[] = [];
      let rewindTo: number | undefined;
      for (const item of queue.items.slice(first)) {
        if (item.ticket !== ticket) {
          kept.push(item);
          continue;
        }
        rewindTo ??= item.previousMicros;
        this.account(-item.bytes, -1);
        ticket.settle('returned', undefined, item.idempotencyKey);
      }
      if (rewindTo === undefined) continue;
      queue.items.length = first;
      queue.items.push(...kept);
      const latestKept = Math.max(0, ...kept.map((item) => item.stampedMicros ?? 0));
      queue.memory.lastMicros = Math.max(rewindTo, latestKept);
      if (pendingItems(queue) === 0 && !queue.busy) this.retire(queue);
    }
    this.changed();
  }

  /**
   * While sending is held back (the circuit waits for its next probe, or a `Retry-After` holds the
   * endpoint): how long until the next attempt, in ms. Undefined when a request may go now, which
   * includes an open circuit whose probe is due: new work is what probes it.
   */
  unavailableFor(): number | undefined {
    const now = this.clock();
    const resume = this.breaker.resumeAt(now);
    return resume === undefined ? undefined : resume - now;
  }

  private example(failure: DeliveryFailure): void {
    if (this.failures.length < MAX_FAILURE_EXAMPLES) {
      this.failures.push({ ...failure, message: this.redact(failure.message) });
    }
  }

  /**
   * The queue's bytes and items counted again from what it holds, for tests of the accounting
   * invariant: after every operation this equals `stats().queuedBytes` / `queuedItems`.
   * @internal
   */
  recount(): { bytes: number; items: number } {
    let bytes = 0;
    let items = 0;
    for (const queue of this.queues.values()) {
      if (!queue.recordDone) bytes += queue.record.bytes;
      for (let i = queue.head; i < queue.items.length; i++) bytes += (queue.items[i] as QueuedRequest).bytes;
      items += pendingItems(queue);
    }
    return { bytes, items };
  }

  /** Drops items that waited longer than `maxItemAgeMillis`, oldest first per conversation. */
  private sweep(): void {
    const oldest = this.clock() - this.settings.maxItemAgeMillis;
    let dropped = false;
    for (const queue of [...this.queues.values()]) {
      if (queue.busy) continue;
      const head = queue.items[queue.head];
      // A record that never got through ages with its oldest item: without it nothing can be sent.
      if (!queue.recordDone && queue.record.queuedAt < oldest && (head === undefined || head.queuedAt < oldest)) {
        this.rejectConversation(queue, 'max_age', `waited over ${this.settings.maxItemAgeMillis} ms`);
        dropped = true;
        continue;
      }
      while (pendingItems(queue) > 0 && (queue.items[queue.head] as QueuedRequest).queuedAt < oldest) {
        const item = queue.items[queue.head] as QueuedRequest;
        this.drop(
          'max_age',
          queue.conversationId,
          item.label,
          `waited over ${this.settings.maxItemAgeMillis} ms`,
          item.ticket,
          item.idempotencyKey,
        );
        this.removeHead(queue);
        dropped = true;
      }
      if (pendingItems(queue) === 0 && !sendsRecordAlone(queue)) this.retire(queue);
    }
    if (this.queues.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
    if (dropped) this.changed();
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    const every = Math.max(10, Math.min(1_000, Math.floor(this.settings.maxItemAgeMillis / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref?.();
  }

  private wakeUpAt(at: number): void {
    if (this.closed || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.wakeUp(), Math.max(0, at - this.clock()));
    this.wakeTimer.unref?.();
  }

  /** Moves conversations whose backoff is over back in line, and sends. */
  private wakeUp(): void {
    clearTimeout(this.wakeTimer);
    this.wakeAt = Number.POSITIVE_INFINITY;
    const now = this.clock();
    let next = Number.POSITIVE_INFINITY;
    for (const queue of this.delayed) {
      if (queue.notBefore <= now) {
        this.delayed.delete(queue);
        queue.scheduled = false;
        this.makeReady(queue);
      } else next = Math.min(next, queue.notBefore);
    }
    if (next !== Number.POSITIVE_INFINITY) this.wakeUpAt(next);
    this.pump();
  }

  private isIdle(): boolean {
    return this.queues.size === 0 && this.counters.inFlight === 0;
  }

  private checkFlushes(): void {
    if (this.flushWaiters.length > 0 && this.isIdle()) this.resolveFlushes();
  }

  private resolveFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  private changed(): void {
    this.checkFlushes();
    this.onChange?.();
  }
}

/** The upload part of a queued request, for an attachments item. */
function uploadOf(item: PlannedItem, body: object): Pick<QueuedRequest, 'upload'> {
  if (item.uploads === undefined) return {};
  const fields = body as JsonObject;
  return {
    upload:
      item.linkedTo === undefined
        ? { fields, files: item.uploads }
        : { fields, files: item.uploads, linkedTo: item.linkedTo },
  };
}
