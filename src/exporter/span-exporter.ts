import { diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { AGENTSIGHT_OTEL_VERSION } from '../version';
import {
  type AgentSightExporterOptions,
  applyLogLevelFromEnvironment,
  type ExporterConfig,
  resolveExporterConfig,
} from './config';
import type { DeliveryFailure } from './delivery';
import { type ChannelSettings, type DeliveryChannel, inThreadChannel } from './delivery-channel';
import { type DroppedSpan, toConversationPlans } from './mapping';
import { WorkerChannel } from './worker-channel';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** Why an export was reported FAILED: what did not get through. */
export class AgentSightDeliveryError extends Error {
  override readonly name = 'AgentSightDeliveryError';
  constructor(readonly failures: readonly DeliveryFailure[]) {
    super(`${failures.length} AgentSight request(s) were not delivered`);
  }
}

/** How many items a log line names before it summarises the rest. */
const NAMED_IN_LOG = 3;

/**
 * An OpenTelemetry `SpanExporter` that turns finished spans into AgentSight payloads and delivers
 * them: the conversation record first, then its messages, actions, buttons and token usage in
 * chronological order. Spans of no conversation are ignored, so it can share a pipeline with any
 * other instrumentation. Use it with OTel's `BatchSpanProcessor`, or through
 * `AgentSightSpanProcessor`.
 *
 * Failures never reach the application: they are reported through the export result and OTel's
 * `diag` logger. Construction fails on unusable configuration, with a message that says what to fix.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({ spanProcessors: [new BatchSpanProcessor(new AgentSightSpanExporter())] });
 * ```
 */
export class AgentSightSpanExporter implements SpanExporter {
  private readonly config: ExporterConfig;
  private readonly channel: DeliveryChannel;
  private readonly inFlight = new Set<Promise<void>>();
  private isShutdown = false;

  /** @throws AgentSightConfigError when the key, endpoint, environment or a number is unusable. */
  constructor(options: AgentSightExporterOptions = {}) {
    applyLogLevelFromEnvironment();
    this.config = resolveExporterConfig(options);
    const settings: ChannelSettings = {
      endpoint: this.config.endpoint.href,
      headers: {
        ...this.config.headers,
        authorization: `Api-Key ${this.config.apiKey}`,
        'user-agent': `agentsight-otel/${AGENTSIGHT_OTEL_VERSION} node/${process.versions.node}`,
      },
      delivery: {
        requestTimeoutMillis: this.config.timeoutMillis,
        maxRetries: this.config.maxRetries,
        backoff: {
          initialDelayMillis: this.config.retryDelayMillis,
          maxDelayMillis: 5_000,
          multiplier: 1.5,
          jitter: 0.2,
        },
        concurrency: this.config.concurrency,
        maxCachedConversations: this.config.maxCachedConversations,
      },
    };
    this.channel = this.config.deliveryThread
      ? new WorkerChannel(settings, () => inThreadChannel(settings))
      : inThreadChannel(settings);
  }

  /**
   * Maps the spans and delivers them in the background; `resultCallback` is called exactly once,
   * within `exportTimeoutMillis`: SUCCESS when everything was delivered, else FAILED.
   */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const report = (result: ExportResult) => {
      if (called) return;
      called = true;
      try {
        resultCallback(result);
      } catch (error) {
        log.debug('the export result callback threw', error);
      }
    };
    if (this.isShutdown) {
      report({ code: ExportResultCode.FAILED, error: new Error('AgentSightSpanExporter is shut down') });
      return;
    }
    let plans: ReturnType<typeof toConversationPlans>['plans'];
    try {
      const mapped = toConversationPlans(spans, {
        environment: this.config.environment,
        maxFieldLength: this.config.maxFieldLength,
      });
      plans = mapped.plans;
      if (mapped.dropped.length > 0) this.logDropped(mapped.dropped);
    } catch (error) {
      log.error('could not map spans to AgentSight payloads', error);
      report({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    if (plans.length === 0) {
      report({ code: ExportResultCode.SUCCESS });
      return;
    }
    const work = this.channel
      .deliver(plans, Date.now() + this.config.exportTimeoutMillis)
      .then((delivery) => {
        log.debug(`delivered ${delivery.delivered} AgentSight requests (${delivery.retries} retries)`);
        if (delivery.failures.length === 0) {
          report({ code: ExportResultCode.SUCCESS });
          return;
        }
        this.logFailures(delivery.failures);
        report({ code: ExportResultCode.FAILED, error: new AgentSightDeliveryError(delivery.failures) });
      })
      .catch((error: unknown) => {
        log.error('AgentSight delivery failed unexpectedly', error);
        report({ code: ExportResultCode.FAILED, error: error as Error });
      })
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Deadline of one export, retries included: the result is always reported within it. */
  get exportTimeoutMillis(): number {
    return this.config.exportTimeoutMillis;
  }

  /** Waits for deliveries in flight (at most `exportTimeoutMillis`). */
  forceFlush(): Promise<void> {
    return this.drain();
  }

  /** Refuses new exports, waits for deliveries in flight (bounded), then closes connections. */
  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.drain();
    await this.channel.close();
  }

  private async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.config.exportTimeoutMillis);
    });
    await Promise.race([Promise.all([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  /** One log line per distinct failure, naming a few items, with the API's own text. */
  private logFailures(failures: readonly DeliveryFailure[]): void {
    const groups = new Map<string, DeliveryFailure[]>();
    for (const failure of failures) {
      const key = `${failure.reason}\u0000${failure.message}`;
      groups.set(key, [...(groups.get(key) ?? []), failure]);
    }
    for (const group of groups.values()) {
      const first = group[0] as DeliveryFailure;
      const named = group
        .slice(0, NAMED_IN_LOG)
        .map((f) => `${f.label} of conversation ${f.conversationId}`)
        .join(', ');
      const more = group.length > NAMED_IN_LOG ? ` and ${group.length - NAMED_IN_LOG} more` : '';
      log.error(this.redact(`AgentSight did not take ${named}${more}: ${first.reason} ${first.message}`));
    }
  }

  private logDropped(dropped: readonly DroppedSpan[]): void {
    for (const d of dropped.slice(0, NAMED_IN_LOG)) {
      log.warn(`span "${d.spanName}" of conversation ${d.conversationId} was not sent: ${d.reason}`);
    }
    if (dropped.length > NAMED_IN_LOG) log.warn(`${dropped.length - NAMED_IN_LOG} more spans were not sent`);
  }

  /** Texts from the network could echo the key back; it never reaches a log. */
  private redact(text: string): string {
    return text.split(this.config.apiKey).join('ags_[redacted]');
  }
}
