/*
 * The receiver's options: how to run it.
 */

/** How to run the local AgentSight receiver. */
export interface DevServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, only this exact API key is accepted; otherwise any well-formed key is. */
  apiKey?: string;
  /** Append every accepted record to this file as JSON lines. */
  out?: string;
  /** Largest request body accepted; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Accept tracked items with `conversation: null` (resolved by `conversation_id`), as the
   * Python SDK sends after its first batch. Default false: every item must carry the id the
   * receiver returned for its conversation.
   */
  allowUnlinked?: boolean;
  /** Answer every request this long after it arrived (stored first): a slow API. Default 0. */
  latencyMs?: number;
  /** Largest file in a multipart upload; larger ones get 413. Default 64 MiB. */
  maxUploadBytes?: number;
  /**
   * Store every request as new, whatever its Idempotency-Key (replays are off): the AgentSight
   * API as the contract defines it, which names no idempotency. Default false.
   */
  ignoreIdempotencyKey?: boolean;
  /** Most open connections; more are closed at once. Default 1024. */
  maxConnections?: number;
  /** Time for a request's headers to arrive, in ms. Default 10000. */
  headersTimeoutMillis?: number;
  /** Time for a whole request to arrive, body included, in ms. Default 120000. */
  requestTimeoutMillis?: number;
  /**
   * The Jaeger UI the page's trace links open (`<url>/trace/<id>`). Default
   * `AGENTSIGHT_JAEGER_URL`, else http://localhost:16686.
   */
  jaegerUrl?: string;
}
