/**
 * The chat server on its own: `node build/examples/chat-server/main.js`.
 *
 * Environment: AGENTSIGHT_API_KEY (and AGENTSIGHT_API_ENDPOINT, e.g. a local
 * `npx agentsight-otel dev-server`), OPENAI_API_KEY (else the offline scripted model), PORT
 * (default 8000), OTEL_EXPORTER_OTLP_ENDPOINT (to see the spans in Jaeger), and
 * AGENTSIGHT_TRACKING=off (no telemetry at all) or =otel (OpenTelemetry without AgentSight), the
 * latency benchmark's baselines.
 */
import { setTimeout } from 'node:timers/promises';
import { startTelemetry, stopTelemetry } from './telemetry';

/** How long a shutdown waits for the turns in flight before it flushes anyway. */
const TURNS_IN_FLIGHT_MILLIS = 10_000;

async function main(): Promise<void> {
  const tracking = process.env.AGENTSIGHT_TRACKING ?? 'on';
  const sdk = tracking === 'off' ? undefined : startTelemetry(tracking === 'otel' ? false : {});
  // After telemetry: the instrumentations patch http and openai as they are loaded.
  const { startChatServer } = await import('./app.js');
  const server = await startChatServer({ port: Number(process.env.PORT ?? 8000), host: process.env.HOST });
  console.log(`chat server listening on ${server.url}`);
  console.log(`LLM: ${server.modelLabel}`);
  console.log(`tracking: ${tracking}`);

  // On the way out: stop taking requests and let the turns in flight finish (bounded), so
  // their replies are tracked; then deliver what was tracked (bounded by shutdownTimeoutMillis).
  const stop = async (signal: string) => {
    console.log(`${signal}: closing the server and flushing telemetry`);
    await Promise.race([server.close(), setTimeout(TURNS_IN_FLIGHT_MILLIS)]);
    if (sdk) await stopTelemetry(sdk);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
