import { setTimeout } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace'; // 3.x, and 2.x from 2.9
import { AgentSightSpanProcessor } from 'agentsight-otel';

const sdk = new NodeSDK({
  spanProcessors: [
    new AgentSightSpanProcessor(), // conversations → AgentSight
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }), // everything → Jaeger / your backend
  ],
  instrumentations: [new HttpInstrumentation(), new OpenAIInstrumentation()],
});
sdk.start();

/**
 * On SIGTERM: stop taking requests, let the turns in flight finish (at most 10 s) so their
 * replies are tracked, then deliver what was tracked (at most shutdownTimeoutMillis, 10 s).
 */
export function shutDownOnSigterm(server: { close(done: () => void): void }): void {
  process.once('SIGTERM', async () => {
    await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), setTimeout(10_000)]);
    await sdk.shutdown().catch((error: Error) => console.error('telemetry:', error.message));
    process.exit(0);
  });
}
