import type { DeliveryLedger } from './delivery-ledger';
import type { QueuedRequest } from './lane';
import type { LaneTable } from './lane-table';

/**
 * Drops items that waited longer than `maxItemAgeMillis`, oldest first per conversation, on a
 * timer that runs only while something is queued. A record that never got through ages with its
 * oldest item: without it nothing can be sent. A lane whose items all expired is forgotten and
 * does not send its record alone.
 */
export class Expiry {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** @param onExpired - told after a sweep that dropped something */
  constructor(
    private readonly table: LaneTable,
    private readonly ledger: DeliveryLedger,
    private readonly maxItemAgeMillis: number,
    private readonly clock: () => number,
    private readonly onExpired: () => void,
  ) {}

  /** Starts sweeping, if not already (called whenever something is queued). */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const every = Math.max(10, Math.min(1_000, Math.floor(this.maxItemAgeMillis / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref?.();
  }

  /** No more sweeps. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One sweep over every lane not on the wire. */
  sweep(): void {
    const oldest = this.clock() - this.maxItemAgeMillis;
    const why = `waited over ${this.maxItemAgeMillis} ms`;
    let dropped = false;
    for (const lane of this.table.all()) {
      if (lane.busy) continue;
      const head = lane.items[lane.head];
      if (!lane.recordDone && lane.record.queuedAt < oldest && (head === undefined || head.queuedAt < oldest)) {
        this.table.reject(lane, 'max_age', why);
        dropped = true;
        continue;
      }
      while (lane.pending > 0 && (lane.items[lane.head] as QueuedRequest).queuedAt < oldest) {
        const item = lane.items[lane.head] as QueuedRequest;
        this.ledger.drop('max_age', lane.conversationId, item.label, why, item.ticket, item.idempotencyKey);
        this.table.removeHead(lane);
        dropped = true;
      }
      if (lane.pending === 0 && !lane.sendsRecordAlone()) this.table.retire(lane);
    }
    if (this.table.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (dropped) this.onExpired();
  }
}
