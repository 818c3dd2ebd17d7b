import { type BackoffPolicy, isUnreachableError, retryDelayMillis } from '../api/retry';
import { ITEM_PATHS } from '../mapping/payloads';
import type { AdaptiveLimit } from './adaptive-limit';
import { idOf, type Outcome } from './answer-outcome';
import type { CircuitBreaker } from './circuit-breaker';
import type { DeliveryLedger } from './delivery-ledger';
import type { Lane, QueuedRequest } from './lane';
import type { LaneSchedule } from './lane-schedule';
import type { LaneTable } from './lane-table';

/** How long the endpoint is left alone after it refused the key. */
const UNAUTHORIZED_PAUSE_MILLIS = 60_000;

/** What the queue as a whole is doing: the settlement reads and sets it. */
export interface QueueState {
  closed: boolean;
  /** Set at shutdown: what cannot be delivered by then is dropped instead of waiting. */
  finalDeadline: number | undefined;
  /** Set by a refused key: until then, everything is dropped as `unauthorized`. */
  refusedUntil: number;
  refusedMessage: string;
}

/** The parts a request's end changes. */
export interface SettlementParts {
  readonly table: LaneTable;
  readonly ledger: DeliveryLedger;
  readonly schedule: LaneSchedule;
  readonly breaker: CircuitBreaker;
  readonly limit: AdaptiveLimit;
  readonly state: QueueState;
  readonly retry: { readonly maxRetries: number; readonly backoff: BackoffPolicy };
}

/**
 * What one request's end does to the queue: delivered (the next item's turn, the record's id
 * remembered), refused for good (dropped, with its conversation's items when it was the record; a
 * refused key pauses everything), transient (the circuit and the limit learn of it; the request
 * waits its backoff, unless it used up its retries), or cut by shutdown.
 */
export function settle(
  parts: SettlementParts,
  lane: Lane,
  request: QueuedRequest,
  outcome: Outcome,
  now: number,
): void {
  const isRecord = request === lane.record;
  switch (outcome.kind) {
    case 'cut':
      if (isRecord) parts.table.retire(lane);
      else dropHead(parts, lane, request, 'shutdown', 'on the wire when shutdown ran out of time');
      return;
    case 'skipped':
      parts.table.removeHead(lane);
      request.ticket?.settle('rejected', 'none of its files could be read', request.idempotencyKey);
      return;
    case 'delivered':
      delivered(parts, lane, request, outcome.answer.text);
      return;
    case 'permanent':
      parts.breaker.succeeded();
      if (outcome.reason === 'unauthorized') {
        const { conversationId } = lane;
        parts.ledger.example({
          conversationId,
          label: request.label,
          reason: outcome.reason,
          message: outcome.message,
        });
        parts.state.refusedUntil = now + UNAUTHORIZED_PAUSE_MILLIS;
        parts.state.refusedMessage = outcome.message;
        dropEverything(parts, 'unauthorized', outcome.message);
      } else if (isRecord) parts.table.reject(lane, outcome.reason, outcome.message);
      else dropHead(parts, lane, request, outcome.reason, outcome.message);
      return;
    default:
      transient(parts, lane, request, outcome, now);
  }
}

/** Drops everything queued for one reason, and forgets every lane's place in line. */
export function dropEverything(
  parts: Pick<SettlementParts, 'table' | 'schedule'>,
  reason: 'shutdown' | 'unauthorized',
  message: string,
): void {
  parts.table.dropAll(reason, message);
  parts.schedule.clear();
}

function delivered(parts: SettlementParts, lane: Lane, request: QueuedRequest, answerText: string): void {
  const { breaker, ledger, table } = parts;
  const wasClosed = breaker.status === 'closed';
  breaker.succeeded();
  if (!wasClosed) {
    // The API answered again after an outage: start slowly, and stop waiting out backoffs.
    parts.limit.reset();
    parts.schedule.releaseDelayed();
  }
  parts.limit.grow(ledger.inFlight + 1);
  if (request === lane.record) {
    const id = idOf(answerText);
    if (id === undefined) table.reject(lane, 'rejected', 'the API answered without the conversation id');
    else {
      table.recordCreated(lane, id);
      ledger.conversationCreated();
    }
    return;
  }
  if (request.path === ITEM_PATHS.message) lane.lastMessage = { key: request.idempotencyKey, id: idOf(answerText) };
  table.removeHead(lane);
  ledger.delivered(request.ticket, request.idempotencyKey);
}

function transient(
  parts: SettlementParts,
  lane: Lane,
  request: QueuedRequest,
  outcome: Extract<Outcome, { kind: 'transient' }>,
  now: number,
): void {
  const { breaker } = parts;
  if (outcome.overload) parts.limit.shrink(now);
  if (outcome.retryAfter !== undefined) breaker.pause(now + outcome.retryAfter);
  else breaker.failed(now, outcome.code);
  if (parts.state.finalDeadline !== undefined && isUnreachableError(outcome.code)) {
    dropEverything(parts, 'shutdown', `the API could not be reached (${outcome.code})`);
    return;
  }
  // Only failures while the API otherwise answers count against the item: during an outage
  // items wait (bounded by their age), they do not burn their retries.
  if (breaker.status === 'closed' && outcome.retryAfter === undefined) {
    request.failures += 1;
    if (request.failures > parts.retry.maxRetries) {
      const message = `${outcome.message} (after ${request.failures} tries)`;
      if (request === lane.record) parts.table.reject(lane, 'retries_exhausted', message);
      else dropHead(parts, lane, request, 'retries_exhausted', message);
      return;
    }
  }
  parts.ledger.retried();
  const delay = retryDelayMillis(request.failures + 1, parts.retry.backoff, outcome.retryAfter, Math.random());
  lane.notBefore = now + delay;
}

function dropHead(
  parts: SettlementParts,
  lane: Lane,
  request: QueuedRequest,
  reason: 'shutdown' | 'rejected' | 'retries_exhausted',
  message: string,
): void {
  parts.ledger.drop(reason, lane.conversationId, request.label, message, request.ticket, request.idempotencyKey);
  parts.table.removeHead(lane);
}
