/**
 * What delivery counts. Plain data: it crosses from the delivery thread to the application's
 * thread, where it feeds logs, metrics and the errors `forceFlush()` / `shutdown()` reject with.
 */

/** Why something was not delivered. Every loss is counted under exactly one of these. */
export type DropReason =
  /** The delivery queue was at its byte budget (`maxQueueBytes`); the newest items are refused. */
  | 'queue_full'
  /** The item waited longer than `maxItemAgeMillis` (an outage that lasted too long). */
  | 'max_age'
  /** A transient failure repeated more than `maxRetries` times while the API was otherwise healthy. */
  | 'retries_exhausted'
  /** The API refused the item for good (400, 404, 413, ...). */
  | 'rejected'
  /** The API refused the key (401, 403). */
  | 'unauthorized'
  /** The item's conversation record was refused, so the item could not be linked to it. */
  | 'conversation_rejected'
  /** Still queued when `shutdown()` ran out of time, or the API could not be reached at shutdown. */
  | 'shutdown'
  /** Queued in a delivery thread that died (it is restarted on the main thread). */
  | 'delivery_thread_lost'
  /** A span the mapping could not read (bad times, wrong attribute types). */
  | 'unreadable_span'
  /** A conversation span the application's sampler did not record (see `AgentSightSampler`). */
  | 'not_sampled'
  /** An attachment that was not a file we can take (no data or path, bad base64, unreadable path). */
  | 'attachment_invalid'
  /** An attachment over a client-side limit (25 MiB per file, 10 files per message). */
  | 'attachment_over_limit'
  /** An attachment that did not fit the pending-attachment budget when recorded (its message did). */
  | 'attachment_over_budget'
  /** An attachment whose bytes were gone when sent (file removed, not exported within 5 minutes). */
  | 'attachment_unavailable'
  /**
   * Still queued (or not yet handed to delivery) when the process exited without a `shutdown()`;
   * counted, and said in one line on stderr, as the process exits.
   */
  | 'process_exit'
  /**
   * An LLM call's messages (GenAI telemetry, no decorator) in a trace that names no conversation:
   * nothing is sent, since nothing is guessed; counted once per trace. Name it with
   * `gen_ai.conversation.id` (or `genAiConversationAttributes`).
   */
  | 'no_conversation'
  /**
   * New user messages of one LLM call past the most read from a call (1,000): the call's last
   * ones are sent, these are not (zero code; issue 30 met a call of 230,000).
   */
  | 'too_many_messages';

/** Every drop reason, for iteration and metrics. */
export const DROP_REASONS: readonly DropReason[] = [
  'queue_full',
  'max_age',
  'retries_exhausted',
  'rejected',
  'unauthorized',
  'conversation_rejected',
  'shutdown',
  'delivery_thread_lost',
  'unreadable_span',
  'not_sampled',
  'attachment_invalid',
  'attachment_over_limit',
  'attachment_over_budget',
  'attachment_unavailable',
  'process_exit',
  'no_conversation',
  'too_many_messages',
];

/** One request that did not get through, as an example for logs and errors. */
export interface DeliveryFailure {
  /** The conversation it belonged to. */
  readonly conversationId: string;
  /** What it was: `the record`, `action "calculator"`, `end_user message`, ... */
  readonly label: string;
  /** Why it was dropped. */
  readonly reason: DropReason;
  /** The API's error text, or what went wrong (the API key never appears here). */
  readonly message: string;
}

/**
 * What memories forgot early to stay within their byte budgets (README, Limits). Nothing is
 * dropped then, but each can later make a duplicate or a gap, so each is counted and said.
 */
export interface ForgottenCounts {
  /** Conversations the zero-code history memory forgot: a later call of one may send again what it had. */
  genai_history: number;
  /** LLM calls whose GenAI events were forgotten before their span came: their messages are not read. */
  genai_events: number;
  /** Items the bridge's settled memory forgot before their time: a Collector's resend of them is delivered again. */
  settled_items: number;
}

/** What each count of {@link ForgottenCounts} means, for the warning that says it. */
export const FORGOTTEN_MEANING: Readonly<Record<keyof ForgottenCounts, string>> = {
  genai_history:
    'the zero-code history memory is at its budget and forgets the least recently active conversations: an LLM call of one of them that repeats an earlier call may send its messages again',
  genai_events:
    'GenAI events waited for spans that did not come (a sampler that keeps logs but not traces?) and were forgotten for room: those calls are read without their messages',
  settled_items:
    "the bridge's memory of settled items is at its budget (rememberSettledBytes): a Collector resending an older batch gets those items delivered again",
};

/**
 * Counters of delivery since the exporter started. Items are what the application tracked
 * (messages, actions, buttons, token usage); a conversation record is their prerequisite, counted
 * on its own: when it cannot be created, its items are dropped as `conversation_rejected`.
 */
export interface DeliveryStats {
  /** Items the API accepted. */
  delivered: number;
  /** Conversation records the API accepted. */
  conversationsCreated: number;
  /** Requests sent again after a transient failure. */
  retried: number;
  /** Items dropped, by reason (each item once). */
  dropped: Record<DropReason, number>;
  /** Items waiting in the delivery queue. */
  queuedItems: number;
  /** Size of the delivery queue in bytes (JSON text plus bookkeeping), bounded by `maxQueueBytes`. */
  queuedBytes: number;
  /** Requests on the wire now. */
  inFlight: number;
  /** Requests allowed on the wire at once now (adapts between 1 and `concurrency`). */
  concurrencyLimit: number;
  /** `closed` (healthy), `open` (the API is unreachable; waiting to probe) or `half-open` (probing). */
  circuit: 'closed' | 'open' | 'half-open';
  /** What memories forgot early to stay within their budgets (none is a drop; each is said). */
  forgotten: ForgottenCounts;
}

/** Counters at zero. */
export function emptyStats(): DeliveryStats {
  return {
    delivered: 0,
    conversationsCreated: 0,
    retried: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    queuedItems: 0,
    queuedBytes: 0,
    inFlight: 0,
    concurrencyLimit: 0,
    circuit: 'closed',
    forgotten: { genai_history: 0, genai_events: 0, settled_items: 0 },
  };
}

/** All drops, whatever the reason. */
export function totalDropped(stats: Pick<DeliveryStats, 'dropped'>): number {
  let total = 0;
  for (const reason of DROP_REASONS) total += stats.dropped[reason];
  return total;
}

/** Drops in `now` that were not in `before`, by reason (only reasons that grew). */
export function droppedSince(
  now: Pick<DeliveryStats, 'dropped'>,
  before: Pick<DeliveryStats, 'dropped'>,
): Partial<Record<DropReason, number>> {
  const grown: Partial<Record<DropReason, number>> = {};
  for (const reason of DROP_REASONS) {
    const more = now.dropped[reason] - before.dropped[reason];
    if (more > 0) grown[reason] = more;
  }
  return grown;
}

/** `3 queue_full, 1 max_age`: drop counts for a message. */
export function describeDrops(drops: Partial<Record<DropReason, number>>): string {
  return Object.entries(drops)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
}
