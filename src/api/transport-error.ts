/** An HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/**
 * A request that got no usable answer: `code` is the Node or undici error code, REQUEST_TIMEOUT,
 * or ANSWER_TOO_LARGE (an answer came, with `status`, but its body was over the limit and was not
 * read).
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
    /** The answer's status, when one came (ANSWER_TOO_LARGE). */
    readonly status?: number,
  ) {
    super(message);
  }
}
