/*
 * What the mapping is told beyond the spans, and the metadata keys of trace links.
 */

/** What the mapping needs to know beyond the spans. */
export interface MappingOptions {
  /** Environment of conversations whose spans do not name one. */
  readonly environment: string;
  /** Longest string sent in any one field; longer ones are cut with a marker. */
  readonly maxFieldLength: number;
  /**
   * Put the item's trace and span ids in its metadata ({@link TRACE_ID_METADATA_KEY},
   * {@link SPAN_ID_METADATA_KEY}), so AgentSight links each item to its trace. Default false here;
   * the exporter and the bridge turn it on unless told otherwise.
   */
  readonly traceLinks?: boolean;
}

/** Metadata key of an item's trace id (32 hex), when trace links are on. */
export const TRACE_ID_METADATA_KEY = 'otel.trace_id';
/** Metadata key of the id of the span an item came from (16 hex), when trace links are on. */
export const SPAN_ID_METADATA_KEY = 'otel.span_id';
