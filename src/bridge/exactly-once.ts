import type { TicketOutcome } from '../delivery/delivery-ticket';
import type { ConversationPlan } from '../mapping/payloads';
import { SettledItems, type SettledItemsLimits } from './settled-items';

/**
 * What makes the bridge deliver each item once however often a Collector sends it: the items it
 * settled for good ({@link SettledItems}, bounded) and those some request is delivering now.
 */
export class ExactlyOnce {
  private readonly settled: SettledItems;
  /** Items handed to delivery by some request and not yet ended, by Idempotency-Key. */
  private readonly inProgress = new Set<string>();

  constructor(limits: SettledItemsLimits) {
    this.settled = new SettledItems(limits);
  }

  /** Items forgotten for room before their time (a resend of them is delivered again). */
  get evictedEarly(): number {
    return this.settled.evictedEarly;
  }

  /**
   * The plans without the items this bridge already settled (a Collector resending a batch after
   * a 503 or a restart) and without those another request of it is delivering now (they are
   * answered "retry": by the resend, they have settled). Plans left with no items are left out,
   * so no conversation record goes alone.
   */
  withoutSettledItems(plans: readonly ConversationPlan[]): {
    plans: ConversationPlan[];
    elsewhere: number;
    rejectedBefore: number;
  } {
    let elsewhere = 0;
    let rejectedBefore = 0;
    const kept: ConversationPlan[] = [];
    for (const plan of plans) {
      if (plan.initializeOnly === true) {
        kept.push(plan);
        continue;
      }
      const items = plan.items.filter((item) => {
        const key = item.idempotencyKey;
        const before = this.settled.outcomeOf(key);
        if (before === 'rejected') rejectedBefore += 1;
        if (before !== undefined) return false;
        if (this.inProgress.has(key)) {
          elsewhere += 1;
          return false;
        }
        this.inProgress.add(key);
        return true;
      });
      if (items.length > 0) kept.push(items.length === plan.items.length ? plan : { ...plan, items });
    }
    return { plans: kept, elsewhere, rejectedBefore };
  }

  /** One ticketed item ended: remembered when for good, free to be sent again when returned. */
  itemEnded(key: string | undefined, outcome: TicketOutcome): void {
    if (key === undefined) return;
    this.inProgress.delete(key);
    if (outcome !== 'returned') this.settled.remember(key, outcome);
  }
}
