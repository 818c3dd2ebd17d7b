import { AgentSightSpanProcessor, trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing } from '../helpers/tracing';

describe('AgentSightSpanProcessor batching', () => {
  const receiver = useReceiver();

  /** Export sizes seen when `spans` conversation spans go through a processor made by `make`. */
  async function batchSizes(make: () => AgentSightSpanProcessor, messages: number): Promise<number[]> {
    const processor = make();
    const sizes: number[] = [];
    const exportBatch = processor.exporter.export.bind(processor.exporter);
    processor.exporter.export = (spans, done) => {
      sizes.push(spans.length);
      exportBatch(spans, done);
    };
    const tracing = startTracing([processor]);
    try {
      trackConversation({ conversationId: 'batching' }, () => {
        for (let i = 0; i < messages; i++) trackHumanMessage(`message ${i}`);
      });
      await processor.forceFlush();
    } finally {
      await stopTracing(tracing);
    }
    return sizes;
  }

  const options = () => ({ apiKey: TEST_API_KEY, endpoint: receiver().url, scheduledDelayMillis: 60_000 });

  it('exports at most 128 spans at a time by default', async () => {
    const sizes = await batchSizes(() => new AgentSightSpanProcessor(options()), 300);
    expect(sizes.reduce((a, b) => a + b, 0)).to.equal(301);
    expect(Math.max(...sizes)).to.equal(128);
  });

  it('takes its batch settings from OTEL_BSP_* when no option is given', async () => {
    process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '7';
    try {
      const sizes = await batchSizes(() => new AgentSightSpanProcessor(options()), 20);
      expect(Math.max(...sizes)).to.equal(7);
      const explicit = await batchSizes(() => new AgentSightSpanProcessor({ ...options(), maxExportBatchSize: 5 }), 20);
      expect(Math.max(...explicit), 'an option beats the variable').to.equal(5);
    } finally {
      delete process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE;
    }
  });
});
