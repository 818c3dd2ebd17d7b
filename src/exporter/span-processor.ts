import { type Attributes, type Context, createContextKey } from '@opentelemetry/api';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_AGENTSIGHT_CONVERSATION_ID } from '../semconv/attributes';
import { AGENTSIGHT_CONTEXT_KEY_CONVERSATION } from '../semconv/values';
import type { AgentSightExporterOptions } from './config';
import { AgentSightSpanExporter } from './span-exporter';

/**
 * Options of {@link AgentSightSpanProcessor}: the exporter's, plus the batch processor's (each
 * defaulting to its `OTEL_BSP_*` variable, then to OTel's default).
 */
export interface AgentSightProcessorOptions extends AgentSightExporterOptions {
  /**
   * Most spans per export. Default `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, else 128: smaller than OTel's
   * 512 because each export maps its spans on the application's thread (about 1 ms per 128 spans).
   */
  maxExportBatchSize?: number;
  /** Most spans waiting; more are dropped. Default `OTEL_BSP_MAX_QUEUE_SIZE`, else 2048. */
  maxQueueSize?: number;
  /** Delay between two exports, in ms. Default `OTEL_BSP_SCHEDULE_DELAY`, else 5000. */
  scheduledDelayMillis?: number;
}

/** A whole number from the environment, or undefined (the SDK then uses its default). */
function fromEnvironment(name: string): number | undefined {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Written by the instrumentation side; read here by name (OTel context keys are `Symbol.for(name)`). */
const CONVERSATION_KEY = createContextKey(AGENTSIGHT_CONTEXT_KEY_CONVERSATION);

/** Spans per export unless told otherwise (see `maxExportBatchSize`). */
const DEFAULT_BATCH_SIZE = 128;

/** The batch processor waits this much longer than the exporter's deadline, so it always hears the result. */
const BATCH_TIMEOUT_MARGIN_MILLIS = 5_000;

function conversationIdOf(span: { attributes: Attributes }): unknown {
  return span.attributes[ATTR_AGENTSIGHT_CONVERSATION_ID];
}

/**
 * The one-line set-up: a span processor that
 * - stamps the active conversation onto every span started inside it, so spans of other
 *   instrumentations (OpenAI, LlamaIndex, HTTP clients) are attributed to the right conversation
 *   and their token usage counts in it;
 * - batches the spans of conversations (only those) into an {@link AgentSightSpanExporter}.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({ spanProcessors: [new AgentSightSpanProcessor()], instrumentations: [...] });
 * ```
 */
export class AgentSightSpanProcessor implements SpanProcessor {
  /** The exporter the batches go to. */
  readonly exporter: AgentSightSpanExporter;
  private readonly batch: BatchSpanProcessor;

  /** @throws AgentSightConfigError when the exporter's configuration is unusable. */
  constructor(options: AgentSightProcessorOptions = {}) {
    const { maxExportBatchSize, maxQueueSize, scheduledDelayMillis, ...exporterOptions } = options;
    this.exporter = new AgentSightSpanExporter(exporterOptions);
    this.batch = new BatchSpanProcessor({
      exporter: this.exporter,
      maxExportBatchSize: maxExportBatchSize ?? fromEnvironment('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? DEFAULT_BATCH_SIZE,
      maxQueueSize: maxQueueSize ?? fromEnvironment('OTEL_BSP_MAX_QUEUE_SIZE'),
      scheduledDelayMillis: scheduledDelayMillis ?? fromEnvironment('OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: this.exporter.exportTimeoutMillis + BATCH_TIMEOUT_MARGIN_MILLIS,
    });
  }

  /** Stamps the conversation of `parentContext` on a span that does not name one itself. */
  onStart(span: Span, parentContext: Context): void {
    const conversation = parentContext.getValue(CONVERSATION_KEY) as Attributes | undefined;
    if (conversation !== undefined && conversationIdOf(span) === undefined) span.setAttributes(conversation);
    this.batch.onStart(span, parentContext);
  }

  /** Queues spans that belong to a conversation; the rest are not AgentSight's business. */
  onEnd(span: ReadableSpan): void {
    if (conversationIdOf(span) !== undefined) this.batch.onEnd(span);
  }

  /** Exports what is queued and waits for the deliveries in flight. */
  async forceFlush(): Promise<void> {
    await this.batch.forceFlush();
    await this.exporter.forceFlush();
  }

  /** Flushes, then shuts the exporter down. */
  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
