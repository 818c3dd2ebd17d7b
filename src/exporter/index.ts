export { AgentSightConfigError, type AgentSightExporterOptions } from '../api/config';
export type { DeliveryFailure, DeliveryStats, DropReason, ForgottenCounts } from '../delivery/delivery-stats';
export { type FlushOptions, type FlushSummary, flushAgentSight } from './flush-all';
export { AgentSightLogRecordProcessor, type GenAiLogRecord } from './log-record-processor';
export type { DropCounts } from './loss-reporter';
export { AgentSightDeliveryError, AgentSightSpanExporter } from './span-exporter';
export { type AgentSightProcessorOptions, AgentSightSpanProcessor } from './span-processor';
