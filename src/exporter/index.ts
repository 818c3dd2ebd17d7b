export { AgentSightConfigError, type AgentSightExporterOptions } from './config';
export type { DeliveryFailure, DeliveryStats, DropReason } from './delivery-stats';
export { AgentSightDeliveryError, AgentSightSpanExporter } from './span-exporter';
export { type AgentSightProcessorOptions, AgentSightSpanProcessor } from './span-processor';
