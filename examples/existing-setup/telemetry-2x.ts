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
