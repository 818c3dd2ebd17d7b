import { setTimeout } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'; // 1.x and 2.x
import { AgentSightSpanProcessor } from 'agentsight-otel';

const sdk = new NodeSDK({
  spanProcessors: [
    new AgentSightSpanProcessor(),
    new BatchSpanProcessor(new OTLPTraceExporter()), // the 1.x / 2.x constructor: (exporter, config?)
  ],
});
sdk.start();

/** On SIGTERM, the same as above: stop taking requests, let turns finish, deliver, exit. */
export function shutDownOnSigterm(server: { close(done: () => void): void }): void {
  process.once('SIGTERM', async () => {
    await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), setTimeout(10_000)]);
    await sdk.shutdown().catch((error: Error) => console.error('telemetry:', error.message));
    process.exit(0);
  });
}
