import { ITEM_PATHS, type JsonObject, type PlannedItem, type UploadFile } from '../mapping/payloads';
import { timestampFromMicroseconds } from '../mapping/timestamp';
import type { DeliveryLedger } from './delivery-ledger';
import type { DeliveryTicket } from './delivery-ticket';
import type { ConversationMemory, Lane, QueuedRequest } from './lane';
import { costOf, ITEM_OVERHEAD_BYTES, type LaneTable } from './lane-table';

/** What a queued item costs at the least: when not even this fits, items are refused unread. */
const MIN_ITEM_BYTES = ITEM_OVERHEAD_BYTES + 64;

/**
 * How far spans' timestamps can disagree with the order they ended in: OTel JS anchors each span
 * to `Date.now()`, in whole milliseconds, when it starts. Within this, delivery order wins.
 */
const CLOCK_SKEW_MICROS = 2_000;

/**
 * Admission against the byte budget: queues a plan's items at the end of its lane, in order, as
 * far as the budget allows. The newest items are refused when full (`queue_full`), so that the
 * conversations already queued keep no holes; an upload that does not fit goes alone, its
 * message (queued before it) stays.
 */
export function admitItems(
  table: LaneTable,
  ledger: DeliveryLedger,
  lane: Lane,
  items: readonly PlannedItem[],
  now: number,
  ticket: DeliveryTicket | undefined,
): void {
  for (const item of items) {
    if (!ledger.fits(MIN_ITEM_BYTES)) {
      // Full: refuse without serialising (during an outage this is most of the traffic).
      refuseFull(ledger, lane.conversationId, item, ticket);
      continue;
    }
    const previousMicros = lane.memory.lastMicros;
    const body = stampInOrder(lane.memory, item);
    const json = JSON.stringify(body);
    const bytes = costOf(json, item.idempotencyKey, item.label) + heldBytes(item.uploads ?? []);
    if (!ledger.fits(bytes)) {
      refuseFull(ledger, lane.conversationId, item, ticket);
      continue;
    }
    const request: QueuedRequest = {
      path: ITEM_PATHS[item.kind],
      json,
      idempotencyKey: item.idempotencyKey,
      label: item.label,
      bytes,
      queuedAt: now,
      failures: 0,
      ...uploadOf(item, body),
      ...(ticket === undefined ? {} : { ticket, stampedMicros: lane.memory.lastMicros, previousMicros }),
    };
    table.append(lane, request);
  }
}

/** Why an item the byte budget has no room for is dropped (returned to a ticket's sender instead). */
export const QUEUE_FULL = 'the delivery queue is full';

function refuseFull(
  ledger: DeliveryLedger,
  conversationId: string,
  item: PlannedItem,
  ticket: DeliveryTicket | undefined,
): void {
  ledger.drop('queue_full', conversationId, item.label, QUEUE_FULL, ticket, item.idempotencyKey);
}

/**
 * The item's body with a timestamp that keeps its conversation's order. Items go out in the order
 * they happened; span clocks can disagree with that order by up to a millisecond, so a timestamp
 * that would step back that little is moved just after the last one. An item much older than the
 * last one is a late arrival (a Collector requeued its batch after a restart): it keeps its own
 * time, which places it where it happened. Feedback carries no timestamp: the API stamps it.
 */
function stampInOrder(memory: ConversationMemory, item: PlannedItem): PlannedItem['body'] {
  const body = item.body;
  if (!('timestamp' in body) || item.atMicros < memory.lastMicros - CLOCK_SKEW_MICROS) return body;
  if (item.atMicros > memory.lastMicros) {
    memory.lastMicros = item.atMicros;
    return body;
  }
  memory.lastMicros += 1;
  return { ...body, timestamp: timestampFromMicroseconds(memory.lastMicros) };
}

/** Bytes of an upload's files that stay in memory while it is queued (a path is read when sent). */
function heldBytes(files: readonly UploadFile[]): number {
  return files.reduce((sum, f) => sum + (f.source.kind === 'path' ? 0 : f.size), 0);
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
