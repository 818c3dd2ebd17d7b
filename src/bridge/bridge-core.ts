import { createHash, timingSafeEqual } from 'node:crypto';
import { redactor } from '../common/log-text';
import type { FinishedSpan } from '../common/sdk-shapes';
import { AgentSightConfigError, type AgentSightExporterOptions, resolveExporterConfig } from '../exporter/config';
import { channelSettingsFor } from '../exporter/delivery-channel';
import { DeliveryQueue } from '../exporter/delivery-queue';
import type { DeliveryStats } from '../exporter/delivery-stats';
import { DeliveryTicket } from '../exporter/delivery-ticket';
import { toConversationPlans } from '../exporter/mapping';
import type { ConversationPlan } from '../exporter/payloads';
import { createHttpTransport, type Transport } from '../exporter/transport';

/** Counts of what the bridge answered, over both protocols. */
export interface BridgeRequestCounts {
  /** Accepted (HTTP 200, gRPC OK): every item delivered or rejected for good. */
  accepted: number;
  /** Told to retry (HTTP 503, gRPC UNAVAILABLE) with a delay: the sender keeps the data. */
  retryLater: number;
  /** Refused: the request itself was wrong (no token, unreadable, too large, wrong type). */
  refused: number;
  /**
   * Spans reported rejected in `partial_success` of accepted requests: unreadable spans, items
   * AgentSight refused for good, and files (their bytes do not travel on spans).
   */
  rejectedSpans: number;
}

/** What the bridge answers for one export request, whatever the protocol. */
export type ExportOutcome =
  | { readonly kind: 'accepted'; readonly rejectedSpans: number; readonly message: string }
  | { readonly kind: 'retry'; readonly afterSeconds: number; readonly why: string };

/** The bridge's options that are about delivery rather than a protocol. */
export interface BridgeCoreOptions extends Omit<AgentSightExporterOptions, 'deliveryThread' | 'strict'> {
  /** Bearer token senders must present; default `AGENTSIGHT_BRIDGE_TOKEN`; 16+ characters. */
  token?: string;
  /** How long a request waits for its items before they are given back (default 10 s). */
  answerWithinMillis?: number;
}

const MIN_TOKEN_LENGTH = 16;
/** Above this share of the queue's budget, new requests are told to come back later. */
const QUEUE_HIGH_WATER = 0.9;

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Files cannot cross a Collector (their bytes stay in the application's process; spans carry only
 * descriptions), so uploads are taken out of the plans, and their files counted.
 */
function withoutUploads(plans: readonly ConversationPlan[]): { plans: ConversationPlan[]; files: number } {
  let files = 0;
  const kept = plans.map((plan) => {
    if (!plan.items.some((item) => item.files !== undefined)) return plan;
    files += plan.items.reduce((n, item) => n + (item.files?.length ?? 0), 0);
    return { ...plan, items: plan.items.filter((item) => item.files === undefined) };
  });
  return { plans: kept, files };
}

/** Waits until the ticket's items have all ended, sending is held back, or time is up. */
async function untilSettledOrHeldBack(ticket: DeliveryTicket, queue: DeliveryQueue, withinMillis: number) {
  const deadline = Date.now() + withinMillis;
  let settled = false;
  void ticket.settled().then(() => {
    settled = true;
  });
  while (!settled && Date.now() < deadline) {
    if (queue.unavailableFor() !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The protocol-free part of the bridge: checks tokens, maps spans with the exporter's mapping,
 * delivers them with its queue under a ticket, and decides what to answer. It answers "accepted"
 * only once every item is delivered or rejected for good; otherwise it gives the waiting items
 * back (uncounted: the sender still holds them) and says when to retry.
 */
export class BridgeCore {
  readonly requests: BridgeRequestCounts = { accepted: 0, retryLater: 0, refused: 0, rejectedSpans: 0 };
  private readonly expected: Buffer;
  private readonly queue: DeliveryQueue;
  private readonly transport: Transport;
  private readonly maxQueueBytes: number;
  private readonly answerWithinMillis: number;
  private readonly environment: 'production' | 'development';
  private readonly maxFieldLength: number;
  /** Hides the API key in anything the bridge says. */
  readonly redact: (text: string) => string;
  private closing = false;

  /** Throws {@link AgentSightConfigError} for an unusable key, endpoint or token: a service should not start then. */
  constructor(options: BridgeCoreOptions) {
    const config = resolveExporterConfig({ ...options, deliveryThread: false, strict: true });
    const token = options.token ?? process.env.AGENTSIGHT_BRIDGE_TOKEN;
    if (token === undefined || token.length < MIN_TOKEN_LENGTH) {
      throw new AgentSightConfigError(
        `the bridge needs a bearer token of at least ${MIN_TOKEN_LENGTH} characters (option token or AGENTSIGHT_BRIDGE_TOKEN)`,
      );
    }
    this.expected = digest(`Bearer ${token}`);
    const settings = channelSettingsFor(config);
    this.transport = createHttpTransport(config.endpoint, settings.headers, settings.delivery.concurrency);
    this.queue = new DeliveryQueue(this.transport, settings.delivery);
    this.maxQueueBytes = settings.delivery.maxQueueBytes;
    this.answerWithinMillis = options.answerWithinMillis ?? 10_000;
    this.environment = config.environment;
    this.maxFieldLength = config.maxFieldLength;
    this.redact = redactor(config.apiKey);
  }

  /** Whether an `Authorization` value carries the token (compared by hash, in constant time). */
  isAuthorized(authorization: string | undefined): boolean {
    return timingSafeEqual(digest(String(authorization ?? '')), this.expected);
  }

  /** True once shutdown began: health says so, and new requests are told to retry. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Delivery counters. */
  stats(): DeliveryStats {
    return this.queue.stats();
  }

  /** Delivers one request's spans and decides the answer; counts it. */
  async export(spans: readonly FinishedSpan[]): Promise<ExportOutcome> {
    const outcome = await this.deliver(spans);
    if (outcome.kind === 'accepted') {
      this.requests.accepted += 1;
      this.requests.rejectedSpans += outcome.rejectedSpans;
    } else {
      this.requests.retryLater += 1;
    }
    return outcome;
  }

  /** Counts a request refused before delivery (by either protocol). */
  refused(): void {
    this.requests.refused += 1;
  }

  private retry(why: string): ExportOutcome {
    const waitMillis = this.queue.unavailableFor() ?? 5_000;
    return { kind: 'retry', afterSeconds: Math.max(1, Math.ceil(waitMillis / 1000)), why };
  }

  private async deliver(spans: readonly FinishedSpan[]): Promise<ExportOutcome> {
    const mapped = toConversationPlans(spans, { environment: this.environment, maxFieldLength: this.maxFieldLength });
    const { plans, files } = withoutUploads(mapped.plans);
    if (this.closing) return this.retry('the bridge is shutting down');
    const stats = this.queue.stats();
    if (stats.queuedBytes > this.maxQueueBytes * QUEUE_HIGH_WATER) return this.retry('the queue is full');
    if (this.queue.unavailableFor() !== undefined) return this.retry(`the API is unavailable (${stats.circuit})`);

    const ticket = new DeliveryTicket();
    this.queue.enqueue(plans, ticket);
    await untilSettledOrHeldBack(ticket, this.queue, this.answerWithinMillis);
    if (ticket.pending > 0) {
      // Not delivered in time, or the API went away: what waits is given back to the sender.
      this.queue.cancel(ticket);
      await ticket.settled();
    }
    if (ticket.returned > 0) return this.retry(`${ticket.returned} of its items could not be delivered yet`);
    const reasons = [
      ...mapped.dropped.slice(0, 3).map((d) => `span "${d.spanName}": ${d.reason}`),
      ...ticket.rejections.map(this.redact),
      ...(files > 0 ? [`${files} attachment(s): file bytes do not travel on spans`] : []),
    ];
    return {
      kind: 'accepted',
      rejectedSpans: mapped.dropped.length + ticket.rejected + files,
      message: reasons.join('; ').slice(0, 2_000),
    };
  }

  /** Marks shutdown (new requests get "retry"); see {@link close} for the end. */
  beginClosing(): void {
    this.closing = true;
  }

  /** Drops what is queued (nothing, once requests are answered) and closes connections. */
  async close(): Promise<void> {
    this.closing = true;
    this.queue.close();
    await this.transport.close();
  }
}
