export { AgentSightConfigError, type AgentSightExporterOptions } from './config';
export type { DeliveryFailure } from './delivery';
export { AgentSightDeliveryError, AgentSightSpanExporter } from './span-exporter';
export { type AgentSightProcessorOptions, AgentSightSpanProcessor } from './span-processor';
