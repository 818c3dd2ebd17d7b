/**
 * Child process of the delivery benchmark: makes N spans (turns of six) through
 * NodeTracerProvider + AgentSightSpanProcessor (default options) while the API at `argv[2]`
 * refuses connections, then flushes once the outage (`argv[4]` ms from start) is over. Reports
 * RSS before and at peak (sampled every 20 ms), the counters, and the times, as JSON. With
 * `argv[5]` = `baseline`, the same spans are made with no AgentSight processor: the peak RSS that
 * making 1M spans costs by itself (garbage not yet collected), to set ours against.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AgentSightSpanProcessor } from 'agentsight-otel';
import { API_KEY, turn } from './exporter.bench';

const SPANS_PER_TURN = 6;

async function main(): Promise<void> {
  const [url, total, outageMillis] = [process.argv[2] as string, Number(process.argv[3]), Number(process.argv[4])];
  const baseline = process.argv[5] === 'baseline';
  const started = Date.now();
  const processor = baseline
    ? undefined
    : new AgentSightSpanProcessor({ apiKey: API_KEY, endpoint: url, flushTimeoutMillis: 300_000 });
  const provider = new NodeTracerProvider({ spanProcessors: processor ? [processor] : [] });
  provider.register();
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const makeStart = process.hrtime.bigint();
  let made = 0;
  for (let i = 0; made < total; i++) {
    turn(`outage-${i % 2_000}`, i);
    made += SPANS_PER_TURN;
    // Let the event loop turn now and then, as a server does between requests.
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const makeSeconds = Number(process.hrtime.bigint() - makeStart) / 1e9;
  if (baseline) {
    clearInterval(sampler);
    process.stdout.write(JSON.stringify({ baselineRss, peakRss: Math.max(peakRss, process.memoryUsage().rss) }));
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + outageMillis + 1_000 - Date.now())));
  const peakBeforeDrain = Math.max(peakRss, process.memoryUsage().rss);
  const drainStart = process.hrtime.bigint();
  await processor?.forceFlush().catch(() => undefined); // it rejects: the budget dropped some
  const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const stats = processor?.stats();
  await provider.shutdown().catch(() => undefined);
  process.stdout.write(
    JSON.stringify({
      baselineRss,
      peakRss,
      peakBeforeDrain,
      spans: made,
      makeSeconds,
      drainSeconds,
      stats,
      maxQueueBytes: 64 * 1024 * 1024,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
