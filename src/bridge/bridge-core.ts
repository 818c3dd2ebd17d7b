import { diag } from '@opentelemetry/api';
import { type AgentSightExporterOptions, resolveExporterConfig } from '../api/config';
import { createHttpTransport, type Transport } from '../api/transport';
import { loggable, redactor } from '../common/log-text';
import { channelSettingsFor } from '../delivery/delivery-channel';
import { DeliveryQueue } from '../delivery/delivery-queue';
import type { DeliveryStats } from '../delivery/delivery-stats';
import { DeliveryTicket } from '../delivery/delivery-ticket';
import { ForgottenWarnings } from '../delivery/forgotten-warnings';
import { GenAiHistory, UnnamedTraces } from '../mapping/genai/genai-history';
import { type MappingOptions, toConversationPlans } from '../mapping/mapping';
import type { ConversationPlan } from '../mapping/payloads';
import { BearerCheck } from './bearer-check';
import { ExactlyOnce } from './exactly-once';
import { GenAiJoin } from './genai-join';
import type { DecodedLogs } from './otlp-logs';
import type { DecodedTraces } from './otlp-spans';

/** Counts of what the bridge answered, over both protocols. */
export interface BridgeRequestCounts {
  /** Accepted (HTTP 200, gRPC OK): every item delivered or rejected for good. */
  accepted: number;
  /** Told to retry (HTTP 503, gRPC UNAVAILABLE) with a delay: the sender keeps the data. */
  retryLater: number;
  /** Refused: the request itself was wrong (no token, unreadable, too large, wrong type). */
  refused: number;
  /** Of those, refused for a missing or wrong bearer token. */
  unauthorized: number;
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
  /**
   * How long the bridge remembers the items it settled, so that a batch a Collector sends again
   * delivers only what is missing (default 24 h: longer than a Collector's retries, which the
   * shipped configuration lets run without limit, rarely last).
   */
  rememberSettledMillis?: number;
  /** Most bytes of that memory (default 64 MiB, about 190,000 items). */
  rememberSettledBytes?: number;
  /** Where the bridge's warnings go (refused tokens, rate-limited); default OpenTelemetry's `diag`. */
  onWarning?: (message: string) => void;
}

/** Above this share of the queue's budget, new requests are told to come back later. */
const QUEUE_HIGH_WATER = 0.9;

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
  readonly requests: BridgeRequestCounts = {
    accepted: 0,
    retryLater: 0,
    refused: 0,
    unauthorized: 0,
    rejectedSpans: 0,
  };
  private readonly bearer: BearerCheck;
  private readonly queue: DeliveryQueue;
  private readonly transport: Transport;
  private readonly maxQueueBytes: number;
  private readonly answerWithinMillis: number;
  /** How spans are mapped, with the memory of GenAI items handed over (see `GenAiHistory`). */
  private readonly mapping: MappingOptions;
  /** Zero code: LLM call spans joined to their GenAI events (OTLP logs); undefined when off. */
  private readonly join: GenAiJoin | undefined;
  /** Hides the API key in anything the bridge says. */
  readonly redact: (text: string) => string;
  private closing = false;
  /** Spans of accepted requests that could not be read (each request counted once, when answered). */
  private unreadableSpans = 0;
  /** Traces of LLM calls with messages that named no conversation (zero code), each counted once. */
  private noConversation = 0;
  /** New messages of LLM calls past the per-call cap (zero code), counted as `too_many_messages`. */
  private overLimitMessages = 0;
  private readonly unnamedTraces = new UnnamedTraces();
  private readonly history = new GenAiHistory();
  private readonly forgottenWarnings: ForgottenWarnings;
  /** Items this bridge settled for good or is delivering now, by Idempotency-Key. */
  private readonly once: ExactlyOnce;

  /** Throws {@link AgentSightConfigError} for an unusable key, endpoint or token: a service should not start then. */
  constructor(options: BridgeCoreOptions) {
    const config = resolveExporterConfig({ ...options, deliveryThread: false, strict: true });
    const warn = options.onWarning ?? ((message: string) => diag.warn(`agentsight-bridge: ${message}`));
    this.bearer = new BearerCheck(options.token ?? process.env.AGENTSIGHT_BRIDGE_TOKEN, warn);
    this.forgottenWarnings = new ForgottenWarnings(warn);
    const settings = channelSettingsFor(config);
    this.transport = createHttpTransport(config.endpoint, settings.headers, settings.delivery.concurrency);
    this.redact = redactor(config.apiKey);
    this.queue = new DeliveryQueue(this.transport, settings.delivery, this.redact);
    this.maxQueueBytes = settings.delivery.maxQueueBytes;
    this.answerWithinMillis = options.answerWithinMillis ?? 10_000;
    this.once = new ExactlyOnce({
      maxAgeMillis: options.rememberSettledMillis ?? 24 * 60 * 60_000,
      maxBytes: options.rememberSettledBytes ?? 64 * 1024 * 1024,
    });
    const { environment, maxFieldLength, traceLinks, genAi, genAiConversationAttributes } = config;
    this.mapping = {
      environment,
      maxFieldLength,
      traceLinks,
      genAi,
      genAiHistory: this.history,
      genAiConversationKeys: genAiConversationAttributes,
    };
    this.join = genAi ? new GenAiJoin(genAiConversationAttributes) : undefined;
  }

  /** Whether an `Authorization` value carries the bridge's token (see {@link BearerCheck}); a refusal is counted. */
  isAuthorized(authorization: string | undefined, from: string): boolean {
    const allowed = this.bearer.allows(authorization, from);
    if (!allowed) this.requests.unauthorized += 1;
    return allowed;
  }

  /** True once shutdown began: health says so, and new requests are told to retry. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Delivery counters, with the spans the bridge could not read counted as `unreadable_span`. */
  stats(): DeliveryStats {
    const stats = this.queue.stats();
    stats.dropped.unreadable_span += this.unreadableSpans;
    stats.dropped.no_conversation += this.noConversation;
    stats.dropped.too_many_messages += this.overLimitMessages;
    stats.forgotten = {
      genai_history: this.history.evicted,
      genai_events: this.join?.evictedEvents ?? 0,
      settled_items: this.once.evictedEarly,
    };
    return stats;
  }

  /** Delivers one request's spans and decides the answer; counts it. */
  async export(traces: DecodedTraces): Promise<ExportOutcome> {
    const spans = this.join?.spans(traces.spans) ?? traces.spans;
    return this.counted(await this.deliver({ spans, unreadable: traces.unreadable }));
  }

  /**
   * Takes one logs request: its GenAI events wait for their spans, or complete spans already read
   * (delivered now); other log records are not AgentSight's. Counts it; `rejectedSpans` of the
   * answer is then the log records that could not be read.
   */
  async exportLogs(logs: DecodedLogs): Promise<ExportOutcome> {
    const late = this.join?.lateSpans(logs.events) ?? [];
    const delivered = late.length === 0 ? undefined : await this.deliver({ spans: late, unreadable: [] });
    if (delivered?.kind === 'retry') return this.counted(delivered);
    const message = logs.unreadable > 0 ? `${logs.unreadable} log record(s) nest values too deep to read` : '';
    return this.counted({ kind: 'accepted', rejectedSpans: logs.unreadable, message });
  }

  private counted(outcome: ExportOutcome): ExportOutcome {
    // Every answer: what the memories forgot while it was handled is said (throttled).
    this.forgottenWarnings.observe(this.stats().forgotten);
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

  private async deliver(traces: DecodedTraces): Promise<ExportOutcome> {
    const mapped = toConversationPlans(traces.spans, this.mapping);
    // Spans the decoder or the mapping could not read are dropped alone, whatever else happens
    // to the request: a Collector must not resend a poison span forever.
    const unreadable = [...traces.unreadable, ...mapped.dropped];
    this.noConversation += this.unnamedTraces.countNew(mapped.unnamedGenAiTraces);
    this.overLimitMessages += mapped.overLimitMessages;
    const { plans, files } = withoutUploads(mapped.plans);
    if (this.closing) return this.retry('the bridge is shutting down');
    const stats = this.queue.stats();
    if (stats.queuedBytes > this.maxQueueBytes * QUEUE_HIGH_WATER) return this.retry('the queue is full');
    if (this.queue.unavailableFor() !== undefined) return this.retry(`the API is unavailable (${stats.circuit})`);

    const fresh = this.once.withoutSettledItems(plans);
    const ticket = new DeliveryTicket((key, outcome) => this.once.itemEnded(key, outcome));
    this.queue.enqueue(fresh.plans, ticket);
    await untilSettledOrHeldBack(ticket, this.queue, this.answerWithinMillis);
    if (ticket.pending > 0) {
      // Not delivered in time, or the API went away: what waits is given back to the sender.
      this.queue.cancel(ticket);
      await ticket.settled();
    }
    const notYet = ticket.returned + fresh.elsewhere;
    if (notYet > 0) return this.retry(`${notYet} of its items could not be delivered yet`);
    this.unreadableSpans += unreadable.length;
    const reasons = [
      ...unreadable.slice(0, 3).map((d) => `span "${loggable(d.spanName, 100)}": ${d.reason}`),
      ...ticket.rejections.map(this.redact),
      ...(files > 0 ? [`${files} attachment(s): file bytes do not travel on spans`] : []),
    ];
    return {
      kind: 'accepted',
      rejectedSpans: unreadable.length + ticket.rejected + fresh.rejectedBefore + files,
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
