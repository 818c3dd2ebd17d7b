export { AgentSightConfigError, type AgentSightExporterOptions } from '../api/config';
export type { DeliveryFailure, DeliveryStats, DropReason } from '../delivery/delivery-stats';
export { AgentSightDeliveryError, AgentSightSpanExporter } from './span-exporter';
export { type AgentSightProcessorOptions, AgentSightSpanProcessor } from './span-processor';
