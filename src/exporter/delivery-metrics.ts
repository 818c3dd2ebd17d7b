import {
  type BatchObservableResult,
  type Meter,
  type MeterProvider,
  metrics,
  type Observable,
} from '@opentelemetry/api';
import { type DeliveryStats, DROP_REASONS } from '../delivery/delivery-stats';
import { AGENTSIGHT_INSTRUMENTATION_SCOPE } from '../semconv/values';
import { AGENTSIGHT_OTEL_VERSION } from '../version';

/** Attribute naming why items were dropped, on `agentsight.delivery.dropped`. */
export const ATTR_DROP_REASON = 'agentsight.drop.reason';

/**
 * The delivery counters as OpenTelemetry metrics (`agentsight.delivery.*`), read from
 * {@link DeliveryStats} when the application's metric reader collects: delivered, retried and
 * dropped (by reason) as counters; queued items, queued bytes and requests in flight as gauges.
 *
 * The API has no proxy meter provider (unlike tracing), and processors are built before the SDK
 * starts, so the instruments are registered lazily and again whenever the global provider changes.
 */
export class DeliveryMetrics {
  private provider: MeterProvider | undefined;
  private meter: Meter | undefined;
  private observables: Observable[] = [];
  private readonly callback = (result: BatchObservableResult) => this.observe(result);

  constructor(private readonly read: () => DeliveryStats) {}

  /** Registers the instruments with the current global meter provider, if it changed. Cheap. */
  bind(): void {
    const provider = metrics.getMeterProvider();
    if (provider === this.provider) return;
    this.unbind();
    this.provider = provider;
    const meter = provider.getMeter(AGENTSIGHT_INSTRUMENTATION_SCOPE, AGENTSIGHT_OTEL_VERSION);
    this.meter = meter;
    this.observables = [
      meter.createObservableCounter('agentsight.delivery.delivered', {
        description: 'Requests AgentSight accepted (conversation records included)',
        unit: '{request}',
      }),
      meter.createObservableCounter('agentsight.delivery.retried', {
        description: 'Requests sent again after a transient failure',
        unit: '{request}',
      }),
      meter.createObservableCounter('agentsight.delivery.dropped', {
        description: `Items not delivered, by ${ATTR_DROP_REASON}`,
        unit: '{item}',
      }),
      meter.createObservableGauge('agentsight.delivery.queued_items', {
        description: 'Items waiting in the delivery queue',
        unit: '{item}',
      }),
      meter.createObservableGauge('agentsight.delivery.queued_bytes', {
        description: 'Size of the delivery queue (bounded by maxQueueBytes)',
        unit: 'By',
      }),
      meter.createObservableGauge('agentsight.delivery.in_flight', {
        description: 'Requests to AgentSight on the wire',
        unit: '{request}',
      }),
    ];
    meter.addBatchObservableCallback(this.callback, this.observables);
  }

  /** Stops reporting to the provider it is bound to. */
  unbind(): void {
    this.meter?.removeBatchObservableCallback(this.callback, this.observables);
    this.meter = undefined;
    this.provider = undefined;
    this.observables = [];
  }

  private observe(result: BatchObservableResult): void {
    const [delivered, retried, dropped, queuedItems, queuedBytes, inFlight] = this.observables as [
      Observable,
      Observable,
      Observable,
      Observable,
      Observable,
      Observable,
    ];
    const stats = this.read();
    result.observe(delivered, stats.delivered);
    result.observe(retried, stats.retried);
    for (const reason of DROP_REASONS) result.observe(dropped, stats.dropped[reason], { [ATTR_DROP_REASON]: reason });
    result.observe(queuedItems, stats.queuedItems);
    result.observe(queuedBytes, stats.queuedBytes);
    result.observe(inFlight, stats.inFlight);
  }
}
