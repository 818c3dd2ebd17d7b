import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { AgentSightSpanProcessor, trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { useTracing } from '../helpers/tracing';

describe('delivery metrics', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let processor: AgentSightSpanProcessor;
  const tracing = useTracing(() => {
    processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url, maxQueueBytes: 4_096 });
    return [processor];
  });

  it('reports agentsight.delivery.* through the application’s meter provider, registered after the processor', async () => {
    // As in a real set-up, the processor exists before the metrics SDK is registered.
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      for (let i = 0; i < 30; i++) trackConversation({ conversationId: `metrics-${i}` }, () => trackHumanMessage('hi'));
      await processor.forceFlush().catch(() => undefined); // the tiny budget drops some
      await reader.forceFlush();
      const points = new Map<string, { value: number; attributes: Record<string, unknown> }[]>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            points.set(
              metric.descriptor.name,
              metric.dataPoints.map((p) => ({ value: Number(p.value), attributes: p.attributes })),
            );
          }
        }
      }
      const stats = processor.stats();
      expect(stats.dropped.queue_full).to.be.greaterThan(0);
      expect(points.get('agentsight.delivery.delivered')?.[0]?.value).to.equal(stats.delivered);
      expect(stats.delivered).to.equal(receiver().store.records.filter((r) => r.kind === 'message').length);
      const queueFull = points
        .get('agentsight.delivery.dropped')
        ?.find((p) => p.attributes['agentsight.drop.reason'] === 'queue_full');
      expect(queueFull?.value).to.equal(stats.dropped.queue_full);
      for (const gauge of ['queued_items', 'queued_bytes', 'in_flight', 'retried']) {
        expect(points.has(`agentsight.delivery.${gauge}`), gauge).to.equal(true);
      }
    } finally {
      await provider.shutdown();
      metrics.disable();
    }
    expect(tracing().spans().length).to.be.greaterThan(0);
  });
});
