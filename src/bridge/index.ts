/*
 * The bridge: an OTLP/HTTP receiver that turns spans from any language (through an OpenTelemetry
 * Collector) into AgentSight payloads with the exporter's mapping and delivery. A room of its
 * own: it imports the api, mapping and delivery rooms (not the exporter); nothing imports it.
 */
export { type Bridge, type BridgeOptions, type BridgeRequestCounts, startBridge } from './bridge';
