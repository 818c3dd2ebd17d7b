export { AgentSightConfigError, type AgentSightExporterOptions } from '../api/config';
export type { DeliveryFailure, DeliveryStats, DropReason } from '../delivery/delivery-stats';
export { AgentSightLogRecordProcessor } from './log-record-processor';
export { AgentSightDeliveryError, AgentSightSpanExporter } from './span-exporter';
export { type AgentSightProcessorOptions, AgentSightSpanProcessor } from './span-processor';
