/**
 * The OpenTelemetry set-up, in one file, as an application would write it: NodeSDK with the HTTP
 * and OpenAI instrumentations, AgentSight's processor, and an OTLP exporter (Jaeger, ...) when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Start it before the rest of the app is loaded, so the
 * instrumentations can patch `http` and `openai` as they are required.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { type AgentSightProcessorOptions, AgentSightSpanProcessor } from 'agentsight-otel';

/**
 * Starts tracing; AgentSight options default to the AGENTSIGHT_* variables. `false` leaves
 * AgentSight out (the latency benchmark's "OpenTelemetry only" baseline).
 */
export function startTelemetry(agentsight: AgentSightProcessorOptions | false = {}): NodeSDK {
  const spanProcessors: SpanProcessor[] = agentsight === false ? [] : [new AgentSightSpanProcessor(agentsight)];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    // The same spans, to Jaeger or any OTLP backend (the exporter reads the endpoint variable).
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'agentsight-chat-server',
    spanProcessors,
    instrumentations: [new HttpInstrumentation(), new OpenAIInstrumentation()],
    // Traces only. Left unset, NodeSDK sends metrics and logs to an OTLP endpoint by default,
    // and a shutdown then spends seconds retrying an endpoint that is not there.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return sdk;
}

/** Flushes and stops tracing. A failed last export is reported, never thrown at the app. */
export async function stopTelemetry(sdk: NodeSDK): Promise<void> {
  await sdk.shutdown().catch((error: unknown) => {
    console.error(`telemetry: the last export failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}
