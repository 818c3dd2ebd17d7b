/**
 * AgentSight semantic conventions: attribute keys, enumerated values and span names, as
 * constants. Available alone as `agentsight-otel/semconv`.
 *
 * @packageDocumentation
 */
export * from './attributes';
export * from './values';
