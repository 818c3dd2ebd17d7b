import { apiErrorText } from './api-errors';
import { BoundedMap } from './bounded-map';
import { type ConversationPlan, ITEM_PATHS, type JsonObject } from './payloads';
import { type BackoffPolicy, isRetryableError, isRetryableStatus, retryAfterMillis, retryDelayMillis } from './retry';
import { timestampFromMicroseconds } from './timestamp';
import { type Transport, TransportError } from './transport';

/** How delivery behaves. */
export interface DeliverySettings {
  readonly requestTimeoutMillis: number;
  readonly maxRetries: number;
  readonly backoff: BackoffPolicy;
  readonly concurrency: number;
  readonly maxCachedConversations: number;
}

/** One request that did not get through. */
export interface DeliveryFailure {
  readonly conversationId: string;
  /** What it was: `conversation`, `action "calculator"`, ... */
  readonly label: string;
  /** HTTP status, or the transport error code. */
  readonly reason: string;
  /** The API's error text, or what went wrong. */
  readonly message: string;
}

/** What one export delivered. */
export interface DeliveryReport {
  /** Requests accepted by the API (conversation records included). */
  delivered: number;
  /** Requests sent again after a transient failure. */
  retries: number;
  readonly failures: DeliveryFailure[];
}

/** What delivery remembers of a conversation between exports. */
interface ConversationState {
  /** The id the API returned for the conversation record. */
  readonly backendId: number;
  /** Timestamp of the last item sent, in µs: the next one is never earlier. */
  lastMicros: number;
}

type SendResult = { ok: true; body: JsonObject } | { ok: false; reason: string; message: string };

/** State shared by all requests of one export. */
interface ExportRun {
  readonly deadline: number;
  readonly report: DeliveryReport;
  /** Set by a 401/403: every later request of the export would fail the same way. */
  refused?: { reason: string; message: string };
}

/** Waits `ms`, or less if `signal` aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Runs at most `limit` tasks at once. */
class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Delivers conversation plans to the API. Per conversation, work is chained, so a later export's
 * items never overtake an earlier export's, and the conversation record is created once (its
 * backend id is cached). Different conversations go out concurrently, up to `concurrency`.
 */
export class Delivery {
  private readonly conversations: BoundedMap<string, ConversationState>;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly limit: ConcurrencyLimit;
  private readonly closing = new AbortController();

  constructor(
    private readonly transport: Transport,
    private readonly settings: DeliverySettings,
  ) {
    this.conversations = new BoundedMap(settings.maxCachedConversations);
    this.limit = new ConcurrencyLimit(settings.concurrency);
  }

  /** Delivers every plan, retrying transient failures until `deadline` (epoch ms). Never rejects. */
  async deliver(plans: readonly ConversationPlan[], deadline: number): Promise<DeliveryReport> {
    const run: ExportRun = { deadline, report: { delivered: 0, retries: 0, failures: [] } };
    await Promise.all(
      plans.map((plan) => this.inOrder(plan.conversationId, () => this.deliverConversation(plan, run))),
    );
    return run.report;
  }

  /** Stops retrying and waiting: what is in flight finishes or fails at once. */
  close(): void {
    this.closing.abort();
  }

  /** Chains `work` after the conversation's earlier work, and runs it within the concurrency limit. */
  private inOrder(conversationId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(conversationId) ?? Promise.resolve();
    const start = () => this.limit.run(work);
    // An earlier failure must not stop the chain: later work runs either way.
    const next = previous.then(start, start);
    this.chains.set(conversationId, next);
    return next.finally(() => {
      if (this.chains.get(conversationId) === next) this.chains.delete(conversationId);
    });
  }

  private async deliverConversation(plan: ConversationPlan, run: ExportRun): Promise<void> {
    const state = this.conversations.get(plan.conversationId) ?? (await this.createConversation(plan, run));
    if (state === undefined) return;
    for (const item of plan.items) {
      // Items go out in the order they happened; span clocks can disagree with that order by up
      // to a millisecond, so a timestamp that would step back is moved to just after the last one.
      let timestamp = item.body.timestamp;
      if (item.atMicros <= state.lastMicros) {
        state.lastMicros += 1;
        timestamp = timestampFromMicroseconds(state.lastMicros);
      } else {
        state.lastMicros = item.atMicros;
      }
      const body = { ...item.body, timestamp, conversation: state.backendId };
      const sent = await this.send(ITEM_PATHS[item.kind], body, item.idempotencyKey, run);
      if (!sent.ok) run.report.failures.push({ conversationId: plan.conversationId, label: item.label, ...sent });
    }
  }

  /** Sends the conversation record and remembers the id; on failure the plan's items fail with it. */
  private async createConversation(plan: ConversationPlan, run: ExportRun): Promise<ConversationState | undefined> {
    const created = await this.send(ITEM_PATHS.conversation, plan.record, plan.recordIdempotencyKey, run);
    const id = created.ok ? created.body.id : undefined;
    if (created.ok && typeof id === 'number' && Number.isInteger(id)) {
      const state: ConversationState = { backendId: id, lastMicros: 0 };
      this.conversations.set(plan.conversationId, state);
      return state;
    }
    const failure = created.ok ? { reason: 'no id', message: 'the API answered without the conversation id' } : created;
    run.report.failures.push({ conversationId: plan.conversationId, label: 'the record', ...failure });
    // Items cannot be linked to a conversation that was not created; they fail with it.
    for (const item of plan.items) {
      run.report.failures.push({
        conversationId: plan.conversationId,
        label: item.label,
        reason: 'not sent',
        message: 'its conversation could not be created',
      });
    }
    return undefined;
  }

  /**
   * One request with its retries. The Idempotency-Key stays the same on every attempt, so a
   * server that honours it stores the item once even when an answer was lost.
   */
  private async send(path: string, body: object, idempotencyKey: string, run: ExportRun): Promise<SendResult> {
    const payload = JSON.stringify(body);
    const { maxRetries, backoff, requestTimeoutMillis } = this.settings;
    for (let attempt = 0; ; attempt++) {
      if (run.refused) return { ok: false, ...run.refused };
      const remaining = run.deadline - Date.now();
      if (this.closing.signal.aborted) return { ok: false, reason: 'shutdown', message: 'the exporter shut down' };
      if (remaining <= 0) return { ok: false, reason: 'deadline', message: 'the export deadline passed' };
      let failure: { reason: string; message: string };
      let retryAfter: number | undefined;
      let retryable: boolean;
      if (attempt > 0) run.report.retries += 1;
      try {
        const answer = await this.transport.post(
          path,
          payload,
          { 'idempotency-key': idempotencyKey },
          Math.min(requestTimeoutMillis, remaining),
        );
        if (answer.status >= 200 && answer.status < 300) {
          run.report.delivered += 1;
          return { ok: true, body: parseObject(answer.text) };
        }
        failure = {
          reason: String(answer.status),
          message: answerText(answer.status, answer.text, singleHeader(answer.headers.location)),
        };
        retryable = isRetryableStatus(answer.status);
        retryAfter = retryAfterMillis(singleHeader(answer.headers['retry-after']), Date.now());
        if (answer.status === 401 || answer.status === 403) run.refused = failure;
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'ERROR';
        failure = { reason: code, message: error instanceof Error ? error.message : String(error) };
        retryable = isRetryableError(code);
      }
      if (!retryable || attempt >= maxRetries) return { ok: false, ...failure };
      const delay = retryDelayMillis(attempt + 1, backoff, retryAfter, Math.random());
      if (Date.now() + delay >= run.deadline) {
        return { ok: false, ...failure, message: `${failure.message} (no time left in the export to retry)` };
      }
      await sleep(delay, this.closing.signal);
    }
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function answerText(status: number, text: string, location: string | undefined): string {
  if (status >= 300 && status < 400) return `redirected to ${location ?? '?'}; check the endpoint URL`;
  return apiErrorText(text);
}

function parseObject(text: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as JsonObject) : {};
  } catch {
    return {};
  }
}
