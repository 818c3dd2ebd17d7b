/**
 * Child process of the exporter benchmark: makes N spans (turns of six spans) through
 * NodeTracerProvider + AgentSightSpanProcessor to the receiver at `argv[2]`, and reports RSS
 * before, at peak (sampled every 20 ms) and after, and the heap still held after a GC, as JSON.
 *
 * Turns are made as fast as the pipeline drains (never more than ~1,500 spans ahead of the
 * exporter), as on a busy server, so none is dropped by the batch queue and the peak shows
 * what the pipeline itself holds.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AgentSightSpanProcessor } from 'agentsight-otel';
import { turn } from './exporter.bench';

const API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';
const SPANS_PER_TURN = 6;

async function main(): Promise<void> {
  const [url, total] = [process.argv[2] as string, Number(process.argv[3] ?? 100_000)];
  const processor = new AgentSightSpanProcessor({
    apiKey: API_KEY,
    endpoint: url,
    scheduledDelayMillis: 50,
    concurrency: 8,
  });
  let exported = 0;
  let failedExports = 0;
  const exportBatch = processor.exporter.export.bind(processor.exporter);
  processor.exporter.export = (spans, done) => {
    exportBatch(spans, (result) => {
      exported += spans.length;
      if (result.code !== 0) failedExports += 1;
      done(result);
    });
  };
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const baselineHeap = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = process.hrtime.bigint();
  let made = 0;
  for (let i = 0; made < total; i++) {
    turn(`memory-${i % 500}`, i);
    made += SPANS_PER_TURN;
    while (made - exported > 1_500) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await processor.forceFlush().catch(() => undefined);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await provider.shutdown().catch(() => undefined);
  global.gc?.();
  const after = process.memoryUsage().rss;
  // What is still held once the work is done: the pipeline's retained state, not garbage.
  const retainedHeap = process.memoryUsage().heapUsed - baselineHeap;
  process.stdout.write(JSON.stringify({ baseline, peak, after, retainedHeap, made, exported, failedExports, seconds }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
