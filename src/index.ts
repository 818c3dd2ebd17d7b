/**
 * agentsight-otel: send an AI agent's conversations to AgentSight through OpenTelemetry.
 *
 * Instrumentation (`@TrackConversation`, `@TrackAction`, the functional API) emits ordinary OTel
 * spans; `AgentSightSpanExporter` / `AgentSightSpanProcessor` turn them into AgentSight payloads.
 *
 * @packageDocumentation
 */

export * from './client';
export * from './decorators';
export * from './exporter';
export * from './sampling';
