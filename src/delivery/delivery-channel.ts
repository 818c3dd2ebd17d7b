import type { ExporterConfig } from '../api/config';
import { createHttpTransport } from '../api/transport';
import { redactor } from '../common/log-text';
import type { ConversationPlan } from '../mapping/payloads';
import { AGENTSIGHT_OTEL_VERSION } from '../version';
import { DeliveryQueue, type DeliverySettings } from './delivery-queue';
import type { DeliveryFailure, DeliveryStats } from './delivery-stats';

/** Everything needed to deliver, as plain data (it is handed to a worker thread). */
export interface ChannelSettings {
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly delivery: DeliverySettings;
}

/** Where plans go to be delivered: a queue on this thread, or on a worker thread. */
export interface DeliveryChannel {
  /** Hands plans over; they are delivered in the background. Never throws. */
  enqueue(plans: readonly ConversationPlan[]): void;
  /**
   * Waits until everything handed over is delivered or dropped, or until `deadline` (epoch ms).
   * `final` (shutdown) drops what is left at the deadline, and gives up at once on an API that
   * cannot be reached. Never rejects.
   */
  flush(deadline: number, final: boolean): Promise<void>;
  /** The counters as last known on this thread. */
  stats(): DeliveryStats;
  /** Items handed over and not yet delivered or dropped (queued, on the wire, or in transit to the thread). */
  unsentItems(): number;
  /** Failure examples since the last call. */
  takeFailures(): DeliveryFailure[];
  /** Called on this thread after the counters change. */
  onChange: (() => void) | undefined;
  /** Drops what is queued and closes connections. */
  close(): Promise<void>;
}

/** Delivery on the calling thread. */
export function inThreadChannel(settings: ChannelSettings): DeliveryChannel {
  const transport = createHttpTransport(new URL(settings.endpoint), settings.headers, settings.delivery.concurrency);
  const key = settings.headers.authorization?.replace(/^Api-Key /, '');
  const queue = new DeliveryQueue(transport, settings.delivery, redactor(key));
  const channel: DeliveryChannel = {
    enqueue: (plans) => queue.enqueue(plans),
    flush: (deadline, final) => queue.flush(deadline, final),
    stats: () => queue.stats(),
    // An item on the wire is still counted as queued until its answer settles it.
    unsentItems: () => queue.stats().queuedItems,
    takeFailures: () => queue.takeFailures(),
    onChange: undefined,
    close: async () => {
      queue.close();
      await transport.close();
    },
  };
  queue.onChange = () => channel.onChange?.();
  return channel;
}

/** How to deliver for a validated configuration: endpoint, headers (the key, our user agent) and delivery policy. */
export function channelSettingsFor(config: ExporterConfig): ChannelSettings {
  return {
    endpoint: config.endpoint.href,
    headers: {
      ...config.headers,
      authorization: `Api-Key ${config.apiKey}`,
      'user-agent': `agentsight-otel/${AGENTSIGHT_OTEL_VERSION} node/${process.versions.node}`,
    },
    delivery: {
      requestTimeoutMillis: config.timeoutMillis,
      maxRetries: config.maxRetries,
      backoff: {
        initialDelayMillis: config.retryDelayMillis,
        maxDelayMillis: Math.max(config.retryDelayMillis, 5_000),
        multiplier: 1.5,
        jitter: 0.2,
      },
      concurrency: config.concurrency,
      initialConcurrency: Math.min(16, config.concurrency),
      maxQueueBytes: config.maxQueueBytes,
      maxItemAgeMillis: config.maxItemAgeMillis,
      maxCachedConversations: config.maxCachedConversations,
    },
  };
}
