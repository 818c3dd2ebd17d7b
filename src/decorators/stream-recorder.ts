import { TextDecoder } from 'node:util';

/** Chunks beyond this count are not kept; the stream itself is untouched. */
const MAX_COLLECTED_CHUNKS = 10_000;

/** What a traced call does when a streamed result ends: record what went through, end the span. */
export interface StreamEnd {
  /** The consumer got everything (or stopped early): `value` is what it received. */
  readonly succeed: (value: unknown) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * What a streamed result carried to its consumer, collected for the record as it passes (bounded:
 * text up to `maxLength`, at most 10,000 chunks), and the span ended once: when the stream ends,
 * fails, or the consumer stops. Strings, bytes (decoded as UTF-8) and server-sent events (`{ data }`,
 * as NestJS's `@Sse` streams them) become text; other chunks are kept as a list.
 */
export class StreamRecorder {
  private readonly chunks: unknown[] = [];
  private collectedLength = 0;
  private ended = false;
  private decoder: TextDecoder | undefined;
  /** How collected text reads as the answer (a protocol around it is taken off); as it is by default. */
  readAs: (text: string) => string = (text) => text;

  constructor(
    private readonly end: StreamEnd,
    private readonly maxLength: number,
    private readonly recording: boolean,
  ) {}

  /** One chunk that reached the consumer. */
  collect(chunk: unknown): void {
    if (!this.recording || this.chunks.length >= MAX_COLLECTED_CHUNKS || this.collectedLength >= this.maxLength) return;
    let value = chunk;
    if (chunk instanceof Uint8Array) {
      this.decoder ??= new TextDecoder();
      value = this.decoder.decode(chunk, { stream: true });
    } else if (isEvent(chunk)) {
      value = chunk.data;
    }
    if (typeof value === 'string') this.collectedLength += value.length;
    this.chunks.push(value);
  }

  /** The stream ended (or the consumer stopped): records what went through. */
  succeed(): void {
    if (this.ended) return;
    this.ended = true;
    const tail = this.decoder?.decode();
    if (tail) this.chunks.push(tail);
    const text = this.chunks.every((c) => typeof c === 'string');
    this.end.succeed(text ? this.readAs(this.chunks.join('')) : this.chunks);
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.end.fail(error);
  }
}

function isEvent(chunk: unknown): chunk is { data: string } {
  return typeof chunk === 'object' && chunk !== null && typeof (chunk as { data?: unknown }).data === 'string';
}
