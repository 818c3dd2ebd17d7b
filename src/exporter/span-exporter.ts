import { diag } from '@opentelemetry/api';
import {
  AgentSightConfigError,
  type AgentSightExporterOptions,
  applyLogLevelFromEnvironment,
  type ExporterConfig,
  reportConfigurationProblem,
  resolveExporterConfig,
} from '../api/config';
import { loggable, redactor, sentence } from '../common/log-text';
import type { ExportOutcome, FinishedSpan } from '../common/sdk-shapes';
import { channelSettingsFor, type DeliveryChannel, inThreadChannel } from '../delivery/delivery-channel';
import {
  type DeliveryFailure,
  type DeliveryStats,
  type DropReason,
  describeDrops,
  droppedSince,
  emptyStats,
} from '../delivery/delivery-stats';
import { WorkerChannel } from '../delivery/worker-channel';
import { DeliveryMetrics } from './delivery-metrics';
import { watchExit } from './exit-report';
import { ExportMapping } from './export-mapping';
import { type Flushable, registerFlushable } from './flush-all';
import { type DropCounts, LossReporter } from './loss-reporter';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** Delivery in its own thread, or on this one (`deliveryThread: false`); key-free warnings. */
function openChannel(config: ExporterConfig, redact: (text: string) => string): DeliveryChannel {
  const settings = channelSettingsFor(config);
  const warn = (message: string) => log.warn(redact(message));
  return config.deliveryThread
    ? new WorkerChannel(settings, () => inThreadChannel(settings), warn)
    : inThreadChannel(settings);
}

/** `AGENTSIGHT_DISABLED=true` (or 1, yes): tracking off on purpose, without a word. */
function disabledByEnvironment(): boolean {
  return /^(1|true|yes)$/i.test(process.env.AGENTSIGHT_DISABLED?.trim() ?? '');
}

/** Where nothing goes: the exporter of an unusable configuration. */
function inertChannel(): DeliveryChannel {
  const stats = emptyStats();
  return {
    enqueue: () => undefined,
    flush: () => Promise.resolve(),
    stats: () => stats,
    unsentItems: () => 0,
    takeFailures: () => [],
    onChange: undefined,
    close: () => Promise.resolve(),
  };
}

// ExportResultCode's two values; reading them from @opentelemetry/core would tie the exporter to
// one SDK line at runtime for two numbers.
const SUCCESS: ExportOutcome = { code: 0 };
const failed = (error: Error): ExportOutcome => ({ code: 1, error });

/**
 * What `forceFlush()` or `shutdown()` rejects with when something was not delivered since the
 * previous flush: the counts by reason, what is still queued, and a few examples.
 */
export class AgentSightDeliveryError extends Error {
  /** Always `AgentSightDeliveryError`. */
  override readonly name = 'AgentSightDeliveryError';

  /**
   * @param dropped - items dropped since the previous flush, by reason
   * @param stillQueued - items still waiting when the flush ran out of time (not dropped)
   * @param failures - examples (at most 20), with the API's text, the key redacted
   */
  constructor(
    readonly dropped: DropCounts,
    readonly stillQueued: number,
    readonly failures: readonly DeliveryFailure[],
  ) {
    const count = Object.values(dropped).reduce((a, b) => a + (b ?? 0), 0);
    // Records are not items (an item is what the app tracked), but a refused record is why its
    // items went: said apart, so the counts and the examples below agree.
    const records = failures.filter((f) => f.label === 'the record').length;
    const parts = [
      count > 0 ? `${count} item(s) were not delivered (${describeDrops(dropped)})` : undefined,
      records > 0 ? `${records} conversation record(s) were refused too (examples below)` : undefined,
      stillQueued > 0 ? `${stillQueued} item(s) are still queued` : undefined,
    ].filter(Boolean);
    super(`AgentSight: ${parts.join('; ')}`);
  }
}

/**
 * An OpenTelemetry `SpanExporter` that turns finished spans into AgentSight payloads and delivers
 * them: the conversation record first, then its messages, actions, buttons and token usage in
 * the order they happened. Spans of no conversation are ignored, so it can share a pipeline with
 * any other instrumentation. Use it through `AgentSightSpanProcessor`, or in your own
 * `BatchSpanProcessor`.
 *
 * `export()` maps the spans and hands the payloads to a delivery queue (on a worker thread by
 * default), then reports SUCCESS at once: the batch processor never waits for HTTP. The queue
 * retries on its own clock, rides out outages, and counts every loss by reason; `stats()` shows
 * the counters, `agentsight.delivery.*` metrics carry them, and `forceFlush()` / `shutdown()`
 * reject with an {@link AgentSightDeliveryError} when anything was lost since the previous flush.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({ spanProcessors: [new BatchSpanProcessor({ exporter: new AgentSightSpanExporter() })] });
 * ```
 */
export class AgentSightSpanExporter {
  private readonly config: ExporterConfig | undefined;
  private readonly channel: DeliveryChannel;
  private readonly redact: (text: string) => string;
  private readonly losses: LossReporter;
  private readonly metrics: DeliveryMetrics;
  /** Drops that happen on this thread, before delivery (unreadable spans, unsampled turns). */
  private readonly localDrops: Record<DropReason, number> = emptyStats().dropped;
  /** The counters when the previous flush reported, so each flush reports only what is new. */
  private lastFlushed: Pick<DeliveryStats, 'dropped'> = emptyStats();
  /** Failure examples since the previous flush (at most 20), for its error. */
  private failuresSinceFlush: DeliveryFailure[] = [];
  /** Spans to plans, handed to the channel in the order they came (see `ExportMapping`). */
  private readonly mapping: ExportMapping | undefined;
  private lastLoggedDelivered = 0;
  private isShutdown = false;
  private readonly unwatchExit: () => void;
  /**
   * What `flushAgentSight()` calls for this exporter; a processor that owns it puts its own flush here.
   * @internal
   */
  readonly flushable: Flushable = { forceFlush: () => this.forceFlush(), stats: () => this.stats() };
  private readonly unregister: () => void;

  /**
   * @throws AgentSightConfigError only with `strict: true`, when the key, endpoint, environment or
   *   a number is unusable; otherwise it warns once on stderr and the exporter stays inert
   */
  constructor(options: AgentSightExporterOptions = {}) {
    applyLogLevelFromEnvironment();
    let config: ExporterConfig | undefined;
    try {
      if (!disabledByEnvironment()) config = resolveExporterConfig(options);
    } catch (error) {
      if (options.strict === true || !(error instanceof AgentSightConfigError)) throw error;
      reportConfigurationProblem(
        `${sentence(error.message)} Conversations are not sent to AgentSight; the application runs as usual`,
      );
    }
    this.config = config;
    this.redact = redactor(config?.apiKey);
    this.channel = config === undefined ? inertChannel() : openChannel(config, this.redact);
    this.channel.onChange = () => this.observeLosses();
    this.unregister = config === undefined ? () => false : registerFlushable(this.flushable);
    this.mapping =
      config && new ExportMapping(config, this.channel, (reason, count) => this.countLocalDrop(reason, count));
    this.losses = new LossReporter(this.redact);
    this.metrics = new DeliveryMetrics(() => this.stats());
    this.metrics.bind();
    this.unwatchExit =
      config === undefined
        ? () => undefined
        : watchExit({
            unsent: () => ({ items: this.channel.unsentItems(), spans: this.mapping?.spansWaiting ?? 0 }),
            countExit: (items) => this.countAtExit(items),
          });
  }

  /**
   * With zero code on (`genAi`), the attributes that name a conversation besides the known ones;
   * undefined when it is off.
   * @internal
   */
  get genAiConversationKeys(): readonly string[] | undefined {
    return this.config?.genAi === true ? this.config.genAiConversationAttributes : undefined;
  }

  /** False when the configuration was unusable (or AGENTSIGHT_DISABLED is set): nothing is sent. */
  get enabled(): boolean {
    return this.config !== undefined;
  }

  /**
   * Maps the spans and hands the payloads to the delivery queue; reports SUCCESS at once (FAILED
   * only after shutdown). A span that cannot be mapped is dropped alone, counted and logged.
   */
  export(spans: FinishedSpan[], resultCallback: (result: ExportOutcome) => void): void {
    const report = (result: ExportOutcome) => {
      try {
        resultCallback(result);
      } catch (error) {
        log.debug('the export result callback threw', error);
      }
    };
    // Inert (the configuration was unusable, and the warning said so once): nothing to send.
    if (this.mapping === undefined) report(SUCCESS);
    else if (this.isShutdown) report(failed(new Error('AgentSightSpanExporter is shut down')));
    else {
      this.metrics.bind();
      this.mapping.take(spans, () => report(SUCCESS));
    }
  }

  /**
   * Delivery counters since the exporter started: delivered, retried, dropped by reason, queued
   * items and bytes, requests in flight. Also reported as `agentsight.delivery.*` metrics.
   */
  stats(): DeliveryStats {
    const stats = this.channel.stats();
    const dropped = { ...stats.dropped };
    for (const reason of Object.keys(this.localDrops) as DropReason[]) dropped[reason] += this.localDrops[reason];
    const forgotten = {
      ...stats.forgotten,
      ...this.mapping?.forgotten(),
      settled_items: stats.forgotten.settled_items,
    };
    return { ...stats, dropped, forgotten };
  }

  /**
   * Counts items lost before they reached the exporter (the processor's unsampled turns).
   * @internal
   */
  countLocalDrop(reason: DropReason, count: number): void {
    if (count <= 0) return;
    this.localDrops[reason] += count;
    this.losses.observe(this.stats(), []);
  }

  /**
   * Counts items an exiting process loses, without logging: the exit line says it, once.
   * @internal
   */
  countAtExit(count: number): void {
    this.localDrops.process_exit += count;
  }

  /**
   * Waits until everything handed over is delivered or dropped (at most `flushTimeoutMillis`).
   * Rejects with an {@link AgentSightDeliveryError} when anything was dropped since the previous
   * flush, or is still queued when the time is up.
   */
  async forceFlush(): Promise<void> {
    if (this.isShutdown || this.config === undefined) return;
    const deadline = Date.now() + this.config.flushTimeoutMillis;
    await this.mapping?.idle();
    await this.channel.flush(deadline, false);
    this.reportFlush();
  }

  /**
   * Refuses new exports, delivers what is queued (at most `shutdownTimeoutMillis`; an API that
   * refuses connections gives up at once), drops the rest, and closes connections. Rejects with
   * an {@link AgentSightDeliveryError} when anything was lost since the previous flush.
   */
  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    // Off the meter provider before anything is awaited: NodeSDK shuts its meter provider down
    // alongside, and its default OTLP metrics exporter (on unless the app chose otherwise)
    // retried localhost:4318 for ~8 s at exit with our counters as its only data. A meter
    // provider set up on purpose got them at every collection before this one.
    this.metrics.unbind();
    const deadline = Date.now() + (this.config?.shutdownTimeoutMillis ?? 0);
    await this.mapping?.idle();
    await this.channel.flush(deadline, true);
    await this.channel.close();
    // Watched until here: a process.exit() in the middle of a shutdown still says what it lost.
    this.unwatchExit();
    this.unregister();
    this.reportFlush();
  }

  private observeLosses(): void {
    const failures = this.channel.takeFailures();
    const room = 20 - this.failuresSinceFlush.length;
    if (room > 0) this.failuresSinceFlush.push(...failures.slice(0, room));
    const stats = this.stats();
    this.losses.observe(stats, failures);
    if (stats.queuedItems === 0 && stats.inFlight === 0 && stats.delivered !== this.lastLoggedDelivered) {
      this.lastLoggedDelivered = stats.delivered;
      log.debug(
        `delivered ${stats.delivered} AgentSight items and ${stats.conversationsCreated} conversation records so far ` +
          `(${stats.retried} retries); the queue is empty`,
      );
    }
  }

  private reportFlush(): void {
    this.observeLosses();
    const stats = this.stats();
    const failures = this.failuresSinceFlush;
    this.failuresSinceFlush = [];
    const dropped = droppedSince(stats, this.lastFlushed);
    this.lastFlushed = { dropped: { ...stats.dropped } };
    if (Object.keys(dropped).length === 0 && stats.queuedItems === 0) return;
    throw new AgentSightDeliveryError(
      dropped,
      stats.queuedItems,
      failures.map((f) => ({ ...f, conversationId: loggable(f.conversationId), message: this.redact(f.message) })),
    );
  }
}
