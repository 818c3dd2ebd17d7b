/**
 * When to try a request again and how long to wait (pure: the clock and randomness come in as
 * arguments). Modelled on the OTLP exporter's policy, with 408 and every 5xx added because the
 * AgentSight API is behind ordinary web infrastructure.
 */

/** Network error codes that mean the request may not have arrived, or the answer was lost. */
const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_TIMEOUT',
]);

/** Statuses worth retrying: the server may succeed later. Every other 4xx is the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Transport failures worth retrying. */
export function isRetryableError(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_ERROR_CODES.has(code);
}

/** Backoff settings. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly initialDelayMillis: number;
  /** Longest computed delay (a server's Retry-After may ask for more). */
  readonly maxDelayMillis: number;
  /** Growth per retry. */
  readonly multiplier: number;
  /** Spread, ±fraction of the delay, so that many clients do not retry in step. */
  readonly jitter: number;
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMillis(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before retry number `retry` (1 = first retry): the server's Retry-After when it
 * gave one, else exponential backoff with jitter. `random` is a number in [0, 1).
 */
export function retryDelayMillis(
  retry: number,
  policy: BackoffPolicy,
  retryAfter: number | undefined,
  random: number,
): number {
  if (retryAfter !== undefined) return retryAfter;
  const base = Math.min(policy.maxDelayMillis, policy.initialDelayMillis * policy.multiplier ** (retry - 1));
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random - 1))));
}

/**
 * Transport failures that mean nothing is listening at the endpoint (as opposed to a slow or
 * overloaded API): at shutdown these fail at once instead of retrying until the deadline.
 */
const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when `code` says the endpoint cannot be reached at all. */
export function isUnreachableError(code: string | undefined): boolean {
  return code !== undefined && UNREACHABLE_ERROR_CODES.has(code);
}
