import { type Attributes, type Context, createContextKey, type Span, trace } from '@opentelemetry/api';
import type { AgentSightExporterOptions } from '../api/config';
import { AgentSightConfigError, reportConfigurationProblem } from '../api/config';
import type { FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
import type { DeliveryStats } from '../delivery/delivery-stats';
import { UnnamedTraces } from '../mapping/genai/genai-history';
import { genAiConversationOf, hasGenAiContent, isGenAiSpan } from '../mapping/genai/genai-keys';
import { ATTR_AGENTSIGHT_CONVERSATION_ID, ATTR_GEN_AI_CONVERSATION_ID } from '../semconv/attributes';
import {
  AGENTSIGHT_CONTEXT_KEY_CONVERSATION,
  AGENTSIGHT_GLOBAL_KEY_UNRECORDED_TURN_LISTENERS,
} from '../semconv/values';
import { watchExit } from './exit-report';
import { withGenAiEvents } from './genai-events';
import { PlatformWait } from './platform-wait';
import { SpanDebug } from './span-debug';
import { AgentSightSpanExporter } from './span-exporter';

/**
 * Options of {@link AgentSightSpanProcessor}: the exporter's, plus how spans are gathered before
 * they are mapped (each defaulting to its `OTEL_BSP_*` variable, then to the value below).
 */
export interface AgentSightProcessorOptions extends AgentSightExporterOptions {
  /**
   * Spans mapped and handed to delivery at a time. Default `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, else
   * 128: mapping runs on the application's thread, about 1 ms per 128 spans.
   */
  maxExportBatchSize?: number;
  /**
   * Spans gathered before they are mapped at once, in the call that ends the last one, instead
   * of on the next tick. Nothing is dropped here: past this, the application's thread pays for
   * the mapping rather than losing spans. Default `OTEL_BSP_MAX_QUEUE_SIZE`, else 2048.
   */
  maxQueueSize?: number;
  /** Longest a span waits before it is mapped, in ms. Default `OTEL_BSP_SCHEDULE_DELAY`, else 1000. */
  scheduledDelayMillis?: number;
}

/** A whole number from the environment, or undefined. */
function fromEnvironment(name: string): number | undefined {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new AgentSightConfigError(`${name} must be a whole number of at least 1 (got ${String(value)})`);
  }
  return value;
}

/** Written by the instrumentation side; read here by name (OTel context keys are `Symbol.for(name)`). */
const CONVERSATION_KEY = createContextKey(AGENTSIGHT_CONTEXT_KEY_CONVERSATION);

/** Where the decorators find the listeners for turns the application's sampler dropped. */
const UNRECORDED_TURN_LISTENERS = Symbol.for(AGENTSIGHT_GLOBAL_KEY_UNRECORDED_TURN_LISTENERS);

function unrecordedTurnListeners(): Set<() => void> {
  const globals = globalThis as Record<symbol, Set<() => void> | undefined>;
  globals[UNRECORDED_TURN_LISTENERS] ??= new Set();
  return globals[UNRECORDED_TURN_LISTENERS];
}

function conversationIdOf(span: { attributes?: Attributes }): unknown {
  return span.attributes?.[ATTR_AGENTSIGHT_CONVERSATION_ID];
}

/** The most the platform is asked to wait after a request's root span ended, for its delivery. */
const PLATFORM_FLUSH_CAP_MILLIS = 10_000;

/**
 * The one-line set-up: a span processor that
 * - stamps the active conversation onto every span started inside it, so spans of other
 *   instrumentations (OpenAI, LlamaIndex, HTTP clients) are attributed to the right conversation
 *   and their token usage counts in it;
 * - gathers the spans of conversations (only those, sampled or only recorded) and hands them to
 *   an {@link AgentSightSpanExporter} in small batches, off the call that ended them;
 * - counts (as `not_sampled`) and reports conversation turns the application's sampler did not
 *   record at all: wrap that sampler in `AgentSightSampler` to get them.
 *
 * It owns its span buffer rather than composing OTel's `BatchSpanProcessor`: that one drops spans
 * when its queue is full and skips spans that are recorded but not sampled, and a complete record
 * of every conversation is the point here. The exporter's byte-bounded queue is the one budget.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({ spanProcessors: [new AgentSightSpanProcessor()], instrumentations: [...] });
 * ```
 */
export class AgentSightSpanProcessor {
  /** The exporter the spans go to. */
  readonly exporter: AgentSightSpanExporter;
  private readonly batchSize: number;
  private readonly queueSize: number;
  private readonly delayMillis: number;
  private buffer: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Not gathering spans: shut down, or inert (the configuration was unusable). */
  private isShutdown = false;
  /** Counts a turn the application's sampler did not record (see `AgentSightSampler`). */
  private readonly onUnrecordedTurn = () => this.exporter.countLocalDrop('not_sampled', 1);
  private unwatchExit: () => void = () => undefined;
  /** Vercel: each request's root span is waited for by the platform until delivered. */
  private readonly platformWait: PlatformWait;
  /** `AGENTSIGHT_DEBUG`: says span by span whether it was taken, and why not. */
  private readonly debug = SpanDebug.fromEnvironment();
  /** Zero code on: the extra conversation attributes, and traces already counted as naming none. */
  private readonly genAi: { readonly keys: readonly string[]; readonly unnamedTraces: UnnamedTraces } | undefined;

  /** @throws AgentSightConfigError when the configuration is unusable. */
  constructor(options: AgentSightProcessorOptions = {}) {
    const { maxExportBatchSize, maxQueueSize, scheduledDelayMillis, ...exporterOptions } = options;
    // An unusable number falls back to its default with a warning (or throws, when strict).
    const read = (name: string, value: number | undefined, fallback: number): number => {
      try {
        return positive(name, value, fallback);
      } catch (error) {
        if (options.strict === true) throw error;
        reportConfigurationProblem(`${(error as Error).message}; using ${fallback}`);
        return fallback;
      }
    };
    this.batchSize = read(
      'maxExportBatchSize',
      maxExportBatchSize,
      fromEnvironment('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 128,
    );
    this.queueSize = Math.max(
      this.batchSize,
      read('maxQueueSize', maxQueueSize, fromEnvironment('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048),
    );
    this.delayMillis = read(
      'scheduledDelayMillis',
      scheduledDelayMillis,
      fromEnvironment('OTEL_BSP_SCHEDULE_DELAY') ?? 1_000,
    );
    this.exporter = new AgentSightSpanExporter(exporterOptions);
    // flushAgentSight() flushes through the processor: its gathered spans first, then the exporter.
    this.exporter.flushable.forceFlush = () => this.forceFlush();
    this.platformWait = new PlatformWait(() => this.forceFlush(), PLATFORM_FLUSH_CAP_MILLIS);
    this.isShutdown = !this.exporter.enabled; // inert: nothing to gather
    const keys = this.exporter.genAiConversationKeys;
    this.genAi = keys === undefined ? undefined : { keys, unnamedTraces: new UnnamedTraces() };
    if (this.exporter.enabled) {
      unrecordedTurnListeners().add(this.onUnrecordedTurn);
      // Spans gathered but not yet mapped are lost too when the process exits now.
      this.unwatchExit = watchExit({
        unsent: () => ({ items: 0, spans: this.buffer.length }),
        countExit: (_items, spans) => this.exporter.countAtExit(spans),
      });
    }
  }

  /**
   * Stamps the conversation of `parentContext` on a span that does not name one itself: the
   * decorated turn's, else (zero code) the GenAI conversation its parent span names, since
   * instrumentations leave that id on a parent the app or the agent framework made.
   */
  onStart(span: Span, parentContext: Context): void {
    if (this.isShutdown) return;
    this.platformWait.started(span.spanContext().spanId, parentContext);
    const conversation = parentContext.getValue(CONVERSATION_KEY) as Attributes | undefined;
    // The SDK's span carries its attributes; the API's Span type does not show them.
    const own = (span as { attributes?: Attributes }).attributes ?? {};
    if (conversation !== undefined) {
      if (conversationIdOf({ attributes: own }) === undefined) span.setAttributes(conversation);
      return;
    }
    if (this.genAi === undefined) return;
    const parent = (trace.getSpan(parentContext) as { attributes?: Attributes } | undefined)?.attributes;
    if (parent === undefined || genAiConversationOf(own, this.genAi.keys) !== undefined) return;
    const inherited = genAiConversationOf(parent, this.genAi.keys);
    if (inherited !== undefined) span.setAttribute(ATTR_GEN_AI_CONVERSATION_ID, inherited);
  }

  /** Gathers spans that belong to a conversation; the rest are not AgentSight's business. */
  onEnd(ended: ReadableSpan): void {
    if (this.isShutdown) return;
    this.platformWait.ended(ended.spanContext().spanId);
    // An LLM call's messages that came as events (AgentSightLogRecordProcessor) join its span.
    const span = this.genAi === undefined ? ended : withGenAiEvents(ended);
    const tracked = conversationIdOf(span);
    const taken = tracked !== undefined || this.isGenAiTurn(span);
    this.debug?.span(
      span,
      taken
        ? { id: tracked ?? genAiConversationOf(span.attributes, this.genAi?.keys), zeroCode: tracked === undefined }
        : undefined,
      this.genAi !== undefined,
    );
    if (!taken) return;
    this.buffer.push(span);
    if (this.buffer.length >= this.queueSize) {
      this.exportBuffered();
    } else if (this.buffer.length >= this.batchSize) {
      // Map on the next turn of the event loop, not inside the call that ended the span.
      this.immediate ??= setImmediate(() => this.exportBuffered());
      this.immediate.unref?.();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.exportBuffered(), this.delayMillis);
      this.timer.unref?.();
    }
  }

  /**
   * Whether a span no decorator made is GenAI telemetry of a named conversation (zero code). An LLM
   * call with its messages in a trace that names none is counted once per trace
   * (`no_conversation`): nothing is guessed.
   */
  private isGenAiTurn(span: ReadableSpan): boolean {
    const genAi = this.genAi;
    if (genAi === undefined || !isGenAiSpan(span.attributes)) return false;
    if (genAiConversationOf(span.attributes, genAi.keys) !== undefined) return true;
    if (hasGenAiContent(span.attributes)) {
      this.exporter.countLocalDrop('no_conversation', genAi.unnamedTraces.countNew([span.spanContext().traceId]));
    }
    return false;
  }

  /** Delivery counters: see {@link AgentSightSpanExporter.stats}. */
  stats(): DeliveryStats {
    return this.exporter.stats();
  }

  /**
   * Hands over what is gathered and waits for delivery (at most `flushTimeoutMillis`). Rejects
   * with an `AgentSightDeliveryError` when anything was lost since the previous flush.
   */
  async forceFlush(): Promise<void> {
    this.exportBuffered();
    await this.exporter.forceFlush();
  }

  /**
   * Hands over what is gathered, delivers it (at most `shutdownTimeoutMillis`) and shuts the
   * exporter down. Rejects with an `AgentSightDeliveryError` when anything was lost.
   */
  async shutdown(): Promise<void> {
    if (this.isShutdown) return this.exporter.shutdown();
    this.exportBuffered();
    this.isShutdown = true;
    this.unwatchExit();
    unrecordedTurnListeners().delete(this.onUnrecordedTurn);
    await this.exporter.shutdown();
  }

  /** Hands every gathered span to the exporter, `batchSize` at a time. */
  private exportBuffered(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    const spans = this.buffer;
    this.buffer = [];
    for (let start = 0; start < spans.length; start += this.batchSize) {
      this.exporter.export(spans.slice(start, start + this.batchSize), () => undefined);
    }
  }
}
