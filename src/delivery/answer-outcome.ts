import { apiErrorText } from '../api/api-errors';
import { isRetryableError, isRetryableStatus, retryAfterMillis } from '../api/retry';
import { type HttpAnswer, TransportError } from '../api/transport';

/*
 * What one request's answer (or its failure) means for delivery: delivered, worth another try
 * later, refused for good, or cut by shutdown. Pure: the clock comes in as an argument.
 */

/** How a request ended. */
export type Outcome =
  | { kind: 'skipped' }
  /** The request was cut by `close()` (shutdown ran out of time), whatever the transport said. */
  | { kind: 'cut' }
  | { kind: 'delivered'; answer: HttpAnswer }
  | { kind: 'transient'; code: string; message: string; retryAfter: number | undefined; overload: boolean }
  | { kind: 'permanent'; reason: 'rejected' | 'unauthorized'; message: string };

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What an answer means, by its status. */
export function classifyAnswer(answer: HttpAnswer, now: number): Outcome {
  const { status } = answer;
  if (status >= 200 && status < 300) return { kind: 'delivered', answer };
  if (isRetryableStatus(status)) {
    return {
      kind: 'transient',
      code: String(status),
      message: `${status} ${apiErrorText(answer.text)}`,
      retryAfter: retryAfterMillis(singleHeader(answer.headers['retry-after']), now),
      overload: status === 429 || status === 503,
    };
  }
  if (status === 401 || status === 403) {
    return { kind: 'permanent', reason: 'unauthorized', message: `${status} ${apiErrorText(answer.text)}` };
  }
  if (status >= 300 && status < 400) {
    const location = singleHeader(answer.headers.location) ?? '?';
    return {
      kind: 'permanent',
      reason: 'rejected',
      message: `${status} redirected to ${location}; check the endpoint URL`,
    };
  }
  return { kind: 'permanent', reason: 'rejected', message: `${status} ${apiErrorText(answer.text)}` };
}

/** What a failure without a readable answer means, by its code (or the status it had). */
export function classifyError(error: unknown, now: number): Outcome {
  if (error instanceof TransportError && error.status !== undefined) {
    // An answer came but its body was too large to read: its status still decides. A 2xx item is
    // delivered; a record without its id cannot be used (the mapping of the answer says so).
    const outcome = classifyAnswer({ status: error.status, headers: {}, text: '' }, now);
    return outcome.kind === 'transient' || outcome.kind === 'permanent'
      ? { ...outcome, message: error.message }
      : outcome;
  }
  const code = error instanceof TransportError ? error.code : 'ERROR';
  const message = `${code} ${error instanceof Error ? error.message : String(error)}`;
  if (!isRetryableError(code)) return { kind: 'permanent', reason: 'rejected', message };
  return { kind: 'transient', code, message, retryAfter: undefined, overload: code === 'REQUEST_TIMEOUT' };
}

/** The integer `id` of a JSON answer, if it has one. */
export function idOf(text: string): number | undefined {
  try {
    const parsed = JSON.parse(text) as { id?: unknown } | null;
    const id = parsed?.id;
    return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
